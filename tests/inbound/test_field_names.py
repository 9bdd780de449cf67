"""Field names a dump brings: a sender's own fields are columns, made-up ones cannot balloon a load.

The JSON reader is told every field name it may meet; lines bringing new names go through
Python, the first ``MAX_EXTRA_COLUMNS`` extra names get columns and the rest are kept per row
in ``extra_fields``. These tests build dumps the way a broken relay or a leaked listener URL
would fill them, and check what a user of the frame sees.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import ptdata
from ptdata.inbound import columns, jsonl, sources
from ptdata.inbound.schema import STANDARD_COLUMNS


def payload(i: int, body: str = "ok", **more) -> dict:
    return {
        "received_at": f"2025-03-04T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "kind": "sms",
        "SmsSid": f"SM{i:06d}",
        "From": f"+1415555{i % 10000:04d}",
        "Body": body,
        **more,
    }


def line(i: int, body: str = "ok", **more) -> bytes:
    return json.dumps(payload(i, body, **more), separators=(",", ":")).encode()


def _fields_of(frame, row) -> dict:
    """Every text field a row of the frame holds: its columns, and what extra_fields keeps."""
    fields = {k: v for k, v in frame.iloc[row].items() if isinstance(v, str)}
    fields["received_at"] = frame["received_at"].iloc[row].strftime("%Y-%m-%dT%H:%M:%SZ")
    fields.update(json.loads(fields.pop(columns.EXTRA_FIELDS, "{}")))
    return fields


def test_new_field_names_beyond_the_cap_are_kept_per_row_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(columns, "MAX_EXTRA_COLUMNS", 30)
    monkeypatch.setattr(sources, "BLOCK_BYTES", 1 << 16)  # many chunks
    lines, flood = [], {}
    for i in range(6000):
        if i % 12 == 5:  # a relay bringing ten new names on every 12th line
            extra = {f"f{i}_{j}": f"v{i}.{j}" for j in range(10)}
            flood[f"SM{i:06d}"] = extra
            lines.append(line(i, **extra))
        else:
            lines.append(line(i, "STOP" if i == 3001 else "ok"))
    dump = tmp_path / "flood.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")

    frame = ptdata.load_inbound(dump)

    assert len(frame) == 6000  # every line kept
    extras = [c for c in frame.columns if c not in STANDARD_COLUMNS]
    assert extras[:30] == [f"f{i}_{j}" for i in (5, 17, 29) for j in range(10)]
    assert extras[30:] == [columns.EXTRA_FIELDS]
    by_sid = {sid: n for n, sid in enumerate(frame["SmsSid"])}
    for sid, extra in flood.items():  # nothing lost: columns and extra_fields hold it all
        assert _fields_of(frame, by_sid[sid]) == {**payload(int(sid[2:])), **extra}
    assert frame[columns.EXTRA_FIELDS].notna().sum() == len(flood) - 3
    report = frame.attrs["ptdata.load"]
    assert report["folded_fields"] == (len(flood) - 3) * 10
    assert report["folded_field_names"][:3] == ["f41_0", "f41_1", "f41_2"]
    assert (
        f"{(len(flood) - 3) * 10:,} field name(s) beyond the first 30 extra ones "
        "(f41_0, f41_1, f41_2, f41_3, f41_4, ...) are kept per row as JSON text in the "
        "extra_fields column" in report["problems"]
    )
    stops = ptdata.opt_outs(frame)
    assert stops["phone"].tolist() == ["+14155553001"]


def test_a_senders_own_fields_are_columns_exactly_as_sent_and_learned_once(tmp_path, monkeypatch):
    """Twilio-style extras on every line (text, numbers, true/false, lists) become columns,
    as JSON spelled them; Python reads only the first piece's lines."""
    monkeypatch.setattr(sources, "BLOCK_BYTES", 1 << 20)
    checked = []
    real_check = jsonl._Chunk.check
    monkeypatch.setattr(
        jsonl._Chunk, "check", lambda self, i: checked.append(i) or real_check(self, i)
    )
    lines = []
    for i in range(30_000):
        lines.append(
            line(
                i,
                ApiVersion="2010-04-01",
                NumSegments=1 + i % 3,
                Price=-0.0079,
                Flagged=i % 2 == 0,
                Media=["a.jpg"] * (i % 3),
            )
        )
    lines.insert(15_000, line(99_999, ApiVersion=2010))  # a number where text was learned
    dump = tmp_path / "twilio.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")

    frame = ptdata.load_inbound(dump)

    assert len(frame) == 30_001
    assert list(frame.columns[len(STANDARD_COLUMNS) :]) == [
        "ApiVersion",
        "NumSegments",
        "Price",
        "Flagged",
        "Media",
    ]
    rows = frame.set_index("SmsSid")  # the last lines: read by pyarrow, told the types
    last = rows.loc["SM029999"]
    assert (last["NumSegments"], last["Price"], last["Flagged"]) == ("3", "-0.0079", "false")
    assert last["Media"] == '["a.jpg","a.jpg"]'
    assert rows.loc["SM029998", "Flagged"] == "true"
    assert rows.loc["SM029997", "Media"] == "[]"
    assert frame.loc[frame["SmsSid"] == "SM099999", "ApiVersion"].tolist() == ["2010"]
    assert frame.attrs["ptdata.load"]["problems"] == []
    assert len(checked) < 30_000 / 10  # a piece or two through Python, not the dump


def test_nested_objects_come_back_as_sent_whatever_their_shape(tmp_path, monkeypatch):
    """No key a line lacks is added, none reordered, on lines read anywhere in the dump."""
    monkeypatch.setattr(sources, "BLOCK_BYTES", 1 << 18)
    shapes = [{"status": "successful", "results": {}}, {"status": "failed"}, {"z": 1, "a": None}]
    lines = [line(i, AddOns=shapes[i % 3]) if i % 5 == 0 else line(i) for i in range(20_000)]
    dump = tmp_path / "addons.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")

    frame = ptdata.load_inbound(dump)

    expected = [
        json.dumps(shapes[i % 3], separators=(",", ":")) if i % 5 == 0 else None
        for i in range(20_000)
    ]
    assert [v if isinstance(v, str) else None for v in frame["AddOns"]] == expected


def _measure(tmp_path, dump) -> dict:
    code = textwrap.dedent(
        """
        import json, resource, sys, ptdata
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        frame = ptdata.load_inbound(sys.argv[1])
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(json.dumps({"grown_mb": grown / 1024, "shape": frame.shape,
                          "stops": ptdata.opt_outs(frame)["phone"].tolist()}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(dump)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_one_line_with_a_thousand_fields_costs_what_its_bytes_cost(tmp_path):
    """The listener accepts up to 1,000 fields in a post; such a line mid-dump used to give
    every row a thousand columns (gigabytes). Measured with resource in a subprocess."""
    lines = [line(i, "STOP" if i == 7 else f"reply {i * 7919 % 100003}") for i in range(150_000)]
    clean = tmp_path / "clean.jsonl"
    clean.write_bytes(b"\n".join(lines) + b"\n")
    lines.insert(75_000, line(999_999, **{f"x{k:04d}": "v" for k in range(990)}))
    wide = tmp_path / "wide.jsonl"
    wide.write_bytes(b"\n".join(lines) + b"\n")

    base, hit = _measure(tmp_path, clean), _measure(tmp_path, wide)

    assert hit["shape"] == [150_001, len(STANDARD_COLUMNS) + columns.MAX_EXTRA_COLUMNS + 1]
    assert hit["grown_mb"] <= 1.2 * base["grown_mb"] + 10, (base, hit)
    assert hit["stops"] == base["stops"] == ["+14155550007"]


def test_csv_and_form_exports_share_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(columns, "MAX_EXTRA_COLUMNS", 3)
    csv = tmp_path / "export.csv"
    csv.write_text("From,Body,A,B\n+14155550101,STOP,1,2\n", encoding="utf-8")
    form = tmp_path / "posts.form"
    form.write_text("From=%2B14155550102&Body=hi&C=3&D=4&A=5\n", encoding="utf-8")

    frame = ptdata.load_inbound([csv, form])

    assert list(frame.columns[len(STANDARD_COLUMNS) :]) == ["A", "B", "C", "extra_fields"]
    assert frame[["A", "B", "C"]].fillna("").values.tolist() == [["1", "2", ""], ["5", "", "3"]]
    assert frame["extra_fields"].tolist()[1] == '{"D":"4"}'
    assert frame.attrs["ptdata.load"]["folded_field_names"] == ["D"]


@pytest.mark.parametrize("doubled", [False, True], ids=["once", "every-post-twice"])
def test_a_rare_field_stays_on_its_row_when_repeats_are_dropped(tmp_path, doubled):
    lines = []
    for i in range(20_000):
        one = line(i, ErrorCode="30007") if i in (3, 12_345) else line(i)
        lines += [one, one] if doubled else [one]
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")

    frame = ptdata.load_inbound(dump)

    assert len(frame) == 20_000
    assert frame.index[frame["ErrorCode"].notna()].tolist() == [3, 12_345]
    assert frame["ErrorCode"].isna().sum() == 19_998
