"""Every command of the README's tour, run exactly as written, in a terminal, against the
sandbox."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"


def tour_commands() -> list[str]:
    """The ``ptdata ...`` lines of the README's CLI tour, comments cut off."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### From a spreadsheet to a report (CLI)", 1)[1]
    block = section.split("```", 2)[1]
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()]
    return [line for line in lines if line.startswith("ptdata ")]


def run_in_terminal(
    command: str, cwd: Path, env: dict[str, str], *, until: str | None = None, timeout: float = 120
) -> tuple[int, str]:
    """Run ``command`` with a terminal, answering "y" to a confirmation; (exit code, output).

    ``until``: the process serves until stopped (``ptdata listen``); once this text is out it
    gets Ctrl-C, as a person would stop it.
    """
    argv = [
        sys.executable,
        "-m",
        "ptdata",
        *shlex.split(command)[1:],
    ]  # the `ptdata` this test runs
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
    )
    os.close(slave)
    out, answered, stopped = b"", False, False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            out += chunk
            if not chunk and proc.poll() is not None:
                break
        text = out.decode("utf-8", "replace")
        if not answered and "[y/N]" in text:
            os.write(master, b"y\n")
            answered = True
        if until and not stopped and until in text:
            time.sleep(0.5)
            os.killpg(proc.pid, signal.SIGINT)
            stopped = True
        if proc.poll() is not None and not ready:
            break
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail(
            f"{command!r} did not finish in {timeout:.0f} s:\n{out.decode('utf-8', 'replace')}"
        )
    os.close(master)
    return proc.wait(), out.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture
def tour_folder(tmp_path):
    """The files the tour's commands name: a contact sheet, a template, visits, a CRM, a dump."""
    for name in ("contacts.csv", "visits.csv", "crm.csv"):
        shutil.copy(SAMPLES / "contacts_clean.csv", tmp_path / name)
    (tmp_path / "msg.txt").write_text("Hi {Name|there}, doors open at 9!\n", encoding="utf-8")
    shutil.copy(SAMPLES / "inbound_sms.jsonl", tmp_path / "inbound.jsonl")
    return tmp_path


def test_the_tour_has_the_commands_the_readme_shows():
    commands = tour_commands()
    assert len(commands) >= 6
    assert {c.split()[1] for c in commands} >= {"validate", "send", "contacts", "listen", "inbound"}


@pytest.mark.slow
def test_every_tour_command_runs_as_written(tour_folder, sandbox, api_key, tmp_path):
    env = {
        **os.environ,
        "POWERTEXTOR_BASE_URL": sandbox.url,
        "POWERTEXTOR_API_KEY": api_key,
        "PTDATA_HOME": str(tmp_path / "home"),
        "COLUMNS": "120",
    }
    for command in tour_commands():
        serving = command.split()[1] == "listen"
        code, output = run_in_terminal(
            command, tour_folder, env, until="Ctrl-C stops it" if serving else None
        )
        assert code == 0, f"{command}\n{output}"
        assert "Traceback" not in output and "error:" not in output.lower(), f"{command}\n{output}"
        assert api_key not in output
    assert (tour_folder / "problems.csv").exists() and (tour_folder / "diff.csv").exists()
    assert (tour_folder / "out.xlsx").exists() and any((tour_folder / "summary").iterdir())
