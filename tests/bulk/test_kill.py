"""Kill the sender half way, edit as people do, run it again: nobody is texted twice, nobody who
opted out is texted, and every row of the sheet is reported."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time

import pytest

import ptdata

ROWS = 400
TYPO = "Hi {Name}, dors open at 9!"
FIXED = "Hi {Name}, doors open at 9!"


def _write(folder, phones, names, template):
    (folder / "list.csv").write_text(
        "Phone,Name\n" + "".join(f"{p},{n}\n" for p, n in zip(phones, names, strict=True)),
        encoding="utf-8",
    )
    (folder / "msg.txt").write_text(template, encoding="utf-8")


def _command(sandbox, *, rate, extra=()):
    """``ptdata send`` of a personalised text; the history is PTDATA_HOME's (the test's own)."""
    cmd = [
        sys.executable,
        "-m",
        "ptdata",
        "send",
        "list.csv",
        "--template",
        "msg.txt",
        "--report",
        "report.csv",
        "--yes",
        "--no-progress",
        "--rate",
        str(rate),
        "--base-url",
        sandbox.url,
        "--no-quiet-hours",
        *extra,
    ]
    return cmd, {**os.environ, "POWERTEXTOR_API_KEY": "test-key"}


def _kill_half_way(sandbox, folder, cmd, env, *, at):
    first = subprocess.Popen(
        cmd, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while (
        len([r for r in sandbox.requests() if r["method"] == "POST"]) < at
        and time.monotonic() < deadline
    ):
        assert first.poll() is None, "the sender finished before it could be killed"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()


def _to(sandbox) -> list[str]:
    return [r["json"]["To"] for r in sandbox.requests() if r["method"] == "POST" and "json" in r]


def _added(state):
    state["phones"].append("+14155559999")
    state["names"].append("Newcomer")


def _deleted(state):
    del state["phones"][3], state["names"][3]


def _name_fixed(state):
    state["names"][0] = "Nadia"


def _typo_fixed(state):
    state["template"] = FIXED


def _batch_size(state):
    state["extra"] += ["--batch-size", "7"]


def _other_folder(state):
    state["folder"] = state["folder"].parent / "elsewhere"
    state["folder"].mkdir()


def _new_suppression(state):
    state["suppressed"] = state["phones"][:2] + state["phones"][-3:]


def _longer_suppression(state):
    state["suppressed"] = state["suppressed"] + state["phones"][-10:]


def _journal_deleted(state):
    home = state["home"]
    for side in list(home.glob("history.sqlite-*")):
        side.unlink()


EDITS = [
    pytest.param(None, id="as-is"),
    pytest.param(_added, id="row-added"),
    pytest.param(_deleted, id="row-deleted"),
    pytest.param(_name_fixed, id="name-fixed"),
    pytest.param(_typo_fixed, id="template-typo-fixed"),
    pytest.param(_batch_size, id="batch-size"),
    pytest.param(_other_folder, id="other-folder"),
    pytest.param(_new_suppression, id="new-suppression-list"),
    pytest.param(_longer_suppression, id="longer-suppression-list"),
    pytest.param(_journal_deleted, id="journal-deleted"),
]


@pytest.mark.slow
@pytest.mark.parametrize("edit", EDITS)
def test_a_killed_send_rerun_after_an_edit_texts_nobody_twice(sandbox, tmp_path, ptdata_home, edit):
    sandbox.configure(latency=0.05)
    folder = tmp_path / "campaign"
    folder.mkdir()
    phones = [f"+1415555{1000 + i:04d}" for i in range(ROWS)]
    state = {
        "phones": phones,
        "names": [f"N{i}" for i in range(ROWS)],
        "template": TYPO,
        "extra": [],
        "folder": folder,
        "suppressed": [],
        "home": ptdata_home,
    }
    if edit is _longer_suppression:
        state["suppressed"] = phones[-2:]

    def files():
        _write(state["folder"], state["phones"], state["names"], state["template"])
        extra = list(state["extra"])
        if state["suppressed"]:
            (state["folder"] / "stop.csv").write_text(
                "Phone\n" + "\n".join(state["suppressed"]) + "\n", encoding="utf-8"
            )
            extra += ["--suppress", "stop.csv"]
        return _command(sandbox, rate=200, extra=extra)

    cmd, env = files()
    _kill_half_way(sandbox, folder, cmd, env, at=ROWS // 2)
    before = _to(sandbox)
    assert ROWS // 4 < len(before) < ROWS

    if edit is not None:
        edit(state)
    cmd, env = files()
    second = subprocess.run(
        cmd, cwd=state["folder"], env=env, capture_output=True, text=True, timeout=120
    )
    assert second.returncode in (0, 1), second.stderr  # 1 when some rows stayed unknown

    counts = collections.Counter(_to(sandbox))
    assert max(counts.values()) == 1  # nobody was texted twice
    assert not set(_to(sandbox)[len(before) :]) & set(state["suppressed"])  # STOP honoured
    report = ptdata.read_report(state["folder"] / "report.csv")
    assert len(report) == len(state["phones"])
    assert report["row"].tolist() == list(range(2, len(state["phones"]) + 2))
    status = dict(zip(report["phone"], report["status"], strict=True))
    assert set(status.values()) <= {"sent", "skipped", "unknown"}
    for phone, s in status.items():
        if phone in state["suppressed"] and phone not in before:
            assert s == "skipped"
        elif s in ("sent", "skipped"):
            assert counts[phone] == 1, (phone, s)
    skipped = report[report["status"] == "skipped"]
    assert set(skipped["reason"]) <= {"already_sent", "opted_out"}
    unknown = [p for p, s in status.items() if s == "unknown"]
    assert len(unknown) <= 34  # at most the calls that were in flight when it was killed
    if edit is _added:
        assert counts["+14155559999"] == 1


@pytest.mark.slow
def test_ctrl_c_finishes_the_calls_in_flight_writes_the_report_and_a_rerun_sends_the_rest(
    sandbox, tmp_path
):
    sandbox.configure(latency=0.1)
    n = 200
    phones = [f"+1415555{3000 + i:04d}" for i in range(n)]
    _write(tmp_path, phones, [f"N{i}" for i in range(n)], FIXED)
    cmd, env = _command(sandbox, rate=50)

    first = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while len(_to(sandbox)) < 20 and time.monotonic() < deadline:
        assert first.poll() is None, "the sender finished before Ctrl-C"
        time.sleep(0.02)
    first.send_signal(signal.SIGINT)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 1, err  # rows left to send
    assert "interrupted (Ctrl-C)" in out + err
    report = ptdata.read_report(tmp_path / "report.csv")
    assert len(report) == n
    statuses = collections.Counter(report["status"])
    assert set(statuses) == {"sent", "skipped"}  # the calls in flight were read to the end
    assert statuses["sent"] == len(_to(sandbox)) < n

    second = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    counts = collections.Counter(_to(sandbox))
    assert sorted(counts) == sorted(phones) and max(counts.values()) == 1
