"""load_inbound on damaged and hostile dumps: one bad line never costs the rest of the dump."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ptdata
from ptdata.inbound import columns, jsonl, sources
from ptdata.inbound.schema import STANDARD_COLUMNS

P = pytest.param


def payload(i: int, body: str = "ok", **more) -> dict:
    return {
        "received_at": f"2025-03-04T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "kind": "sms",
        "SmsSid": f"SM{i:05d}",
        "From": f"+1415555{i % 10000:04d}",
        "Body": body,
        **more,
    }


def good(i: int, body: str = "ok", **more) -> bytes:
    return json.dumps(payload(i, body, **more), ensure_ascii=False).encode()


BAD_LINES = [
    P(
        b'{"SmsSid":"SMx","From":"+14155550999","Body":"\\ud83d"}',
        "text holding a lone surrogate (\\ud83d): not valid Unicode",
        id="escaped-lone-surrogate",
    ),
    P(b'{"SmsSid":"SMx","Body":"caf\xe9 \xff"}', "not UTF-8 text", id="invalid-utf8"),
    P(b'{"SmsSid":"SMx","Body":"\xed\xa0\x80"}', "not UTF-8 text", id="encoded-surrogate"),
    P(b'{"SmsSid":"SMx","Extra":["ok","\xff"]}', "not UTF-8 text", id="invalid-utf8-in-a-list"),
    P(b'["SMx", "STOP"]', "a JSON array, not an object", id="array"),
    P(b'"STOP"', "a JSON string, not an object", id="string"),
    P(b"42", "a JSON number, not an object", id="number"),
    P(
        b'{"received_at":"2025-03-04T10:00:01Z","kind":"sms","From":"+1415',
        "torn or invalid JSON",
        id="torn",
    ),
    P(
        b'{"SmsSid":"SMx","Extra":' + b"[" * 150 + b"]" * 150 + b"}",
        "JSON nested more than 100 levels deep",
        id="deep",
    ),
]


@pytest.mark.parametrize("bad, why", BAD_LINES)
def test_a_bad_line_is_skipped_and_named_and_the_rest_loads(tmp_path, bad, why):
    lines = [good(i, "STOP" if i == 7 else "ok") for i in range(400)]
    lines[150] = bad
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")
    frame = ptdata.load_inbound(dump)
    report = frame.attrs["ptdata.load"]
    assert frame["SmsSid"].tolist() == [f"SM{i:05d}" for i in range(400) if i != 150]
    assert report["skipped_lines"] == {str(dump): [151]}
    assert report["problems"] == [f"{dump}, line 151: {why}"]
    assert ptdata.suppression_list(frame) == {"+14155550007"}
    with pytest.raises(ptdata.InboundLoadError, match=f"d.jsonl, line 151: {why[:20]}"):
        ptdata.load_inbound(dump, errors="raise")


def test_the_summary_counts_bad_lines_and_suppress_still_works(tmp_path, cli):
    """What a dump from before the listener refused lone surrogates looks like."""
    dump = tmp_path / "inbound.jsonl"
    dump.write_bytes(
        b"\n".join(
            [
                good(1, "STOP", From="+14155550101"),
                b'{"received_at":"2025-03-04T10:00:02Z","kind":"sms","SmsSid":"SM2","From":"+14155550102",'
                b'"Body":"hi \\ud83d"}',
                good(3, "Yes", From="+14155550103"),
                b'{"SmsSid":"SM4","Body":"\xff\xfe"}',
            ]
        )
        + b"\n"
    )
    result = cli("inbound", "summary", dump)
    assert result.exit_code == 0, result.output
    assert "Skipped: 0 duplicate deliveries, 2 torn or invalid line(s)" in result.output
    assert f"  {dump}: line(s) 2, 4" in result.output
    sheet = tmp_path / "contacts.csv"
    sheet.write_text("Phone\n+14155550101\n+14155550102\n+14155550103\n", encoding="utf-8")
    result = cli(
        "send",
        sheet,
        "--body",
        "Hi",
        "--suppress",
        dump,
        "--dry-run",
        "--report",
        tmp_path / "plan.csv",
        "--no-quiet-hours",
    )
    assert result.exit_code == 0, result.output
    plan = ptdata.read_report(tmp_path / "plan.csv")
    assert plan["status"].tolist() == ["skipped", "planned", "planned"]
    assert plan["reason"].tolist()[0] == "opted_out"


def test_many_bad_lines_scattered_through_chunks(tmp_path, monkeypatch):

    monkeypatch.setattr(sources, "BLOCK_BYTES", 4096)  # ~30 lines a chunk, 2 threads
    lines = [good(i) for i in range(3000)]
    bad = set(range(5, 3000, 37))
    for i in bad:
        lines[i] = lines[i][:40] if i % 2 else b'{"Body":"\xff"}'
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")
    frame = ptdata.load_inbound(dump)
    assert frame["SmsSid"].tolist() == [f"SM{i:05d}" for i in range(3000) if i not in bad]
    assert frame.attrs["ptdata.load"]["skipped_lines"] == {str(dump): sorted(i + 1 for i in bad)}


def test_blank_lines_and_crlf_do_not_shift_the_line_numbers(tmp_path):
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b"\r\n".join([good(0), b"", b"  ", good(1), b"{torn", b"", good(2)]) + b"\r\n")
    frame = ptdata.load_inbound(dump)
    assert frame["SmsSid"].tolist() == ["SM00000", "SM00001", "SM00002"]
    assert frame.attrs["ptdata.load"]["skipped_lines"] == {str(dump): [5]}


def test_a_line_longer_than_a_chunk_is_skipped_without_being_kept(tmp_path, monkeypatch):

    monkeypatch.setattr(sources, "BLOCK_BYTES", 1024)
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b"\n".join([good(0), b'{"Body":"' + b"x" * 5000 + b'"}', good(2)]) + b"\n")
    frame = ptdata.load_inbound(dump)
    assert frame["SmsSid"].tolist() == ["SM00000", "SM00002"]
    assert frame.attrs["ptdata.load"]["problems"] == [
        f"{dump}, line 2: a line longer than 0 MiB: not a payload"
    ]


def _run(code: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_line_nested_deep_enough_to_crash_the_json_reader_is_skipped(tmp_path):
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(
        b"\n".join([good(0), b'{"Extra":' + b"[" * 50000 + b"]" * 50000 + b"}", good(2)]) + b"\n"
    )
    out = _run(
        """
        import sys, ptdata
        frame = ptdata.load_inbound(sys.argv[1])
        print(frame["SmsSid"].tolist(), frame.attrs["ptdata.load"]["problems"])
    """,
        dump,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        f"['SM00000', 'SM00002'] ['{dump}, line 2: JSON nested more than 100 levels deep']"
    )


def test_a_dump_truncated_while_it_is_read_is_an_error_not_a_signal(tmp_path):
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b"\n".join(good(i) for i in range(20000)) + b"\n")
    size = dump.stat().st_size
    out = _run(
        """
        import os, sys, ptdata
        from ptdata.inbound import sources
        sources.BLOCK_BYTES = 1 << 16
        plain = sources.DumpSource._plain

        def cut_after_the_first_block(self):   # another program truncates the dump
            with plain(self) as fill:
                def fill_then_cut(view):
                    n = fill(view)
                    os.truncate(self.path, 100_000)
                    return n
                yield fill_then_cut

        sources.DumpSource._plain = sources.contextlib.contextmanager(cut_after_the_first_block)
        try:
            ptdata.load_inbound(sys.argv[1])
        except ptdata.InboundLoadError as exc:
            print(exc)
    """,
        dump,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        f"{dump}: the file shrank from {size:,} to 100,000 bytes while it was being read "
        "(another program truncated or rewrote it). Load it again once nothing is rewriting it."
    )


def test_no_dump_is_ever_memory_mapped(tmp_path, monkeypatch):
    import mmap

    def no_mmap(*args, **kwargs):
        raise AssertionError("a dump was memory-mapped")

    monkeypatch.setattr(mmap, "mmap", no_mmap)
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b"\n".join(good(i) for i in range(100)) + b"\n")
    assert len(ptdata.load_inbound(dump)) == 100


def _bomb(path: Path, megabytes: int) -> Path:
    """A gzip file of ~1 KB members each expanding to 1 MB (one payload, then blank lines)."""
    member = gzip.compress(good(1) + b"\n" * (1 << 20), compresslevel=9)
    path.write_bytes(member * megabytes)
    return path


def test_a_gzip_bomb_is_refused_with_a_message_in_little_memory(tmp_path):
    bomb = _bomb(tmp_path / "bomb.jsonl.gz", 2000)  # ~2 MB expanding to ~2 GB
    assert bomb.stat().st_size < 5e6
    out = _run(
        """
        import resource, sys, ptdata
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            ptdata.load_inbound(sys.argv[1])
        except ptdata.InboundLoadError as exc:
            print(exc)
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(grown // 1024)
    """,
        bomb,
    )
    assert out.returncode == 0, out.stderr
    message, grown_mb = out.stdout.strip().splitlines()
    assert message.startswith(f"{bomb}: expands more than 100 times its size (")
    assert message.endswith(
        "refused as a likely decompression bomb. If you trust the file, "
        "decompress it yourself (gunzip -k) and load the result."
    )
    assert int(grown_mb) < 300


def test_a_big_gzip_dump_is_read_streaming(tmp_path):
    """~100 MB of payloads compressed ~8x load with memory near the frame's own size, far
    below the decompressed size plus the frame."""
    path = tmp_path / "big.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        for start in range(0, 200_000, 10_000):
            f.write(
                b"".join(
                    good(i, f"reply {i * 7919 % 100003}") + b"\n"
                    for i in range(start, start + 10_000)
                )
            )
    out = _run(
        """
        import json, resource, sys, ptdata
        from ptdata.inbound import readers
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        part = readers.read_file(sys.argv[1])
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(json.dumps([part.table.num_rows, part.skipped, part.problems,
                          part.table.nbytes >> 20, grown >> 10]))
    """,
        path,
    )
    assert out.returncode == 0, out.stderr
    rows, skipped, problems, table_mb, grown_mb = json.loads(out.stdout)
    assert (rows, skipped, problems) == (200_000, [], [])
    assert grown_mb < table_mb + 120


def test_a_gzip_member_cut_short_keeps_what_was_there(tmp_path):
    raw = gzip.compress(b"\n".join(good(i) for i in range(2000)) + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(good(5000) + b"\n") + raw[: len(raw) // 2])
    frame = ptdata.load_inbound(path)
    assert frame["SmsSid"].tolist()[0] == "SM05000"
    assert 1 < len(frame) < 2001
    assert (
        f"{path}: the gzip stream ends early (file cut short); read what was there"
        in frame.attrs["ptdata.load"]["problems"]
    )


# -- field names: a sender's own fields are columns, made-up ones cannot balloon a load ---------
# The JSON reader is told every field name it may meet; lines bringing new names go through
# Python, the first MAX_EXTRA_COLUMNS extra names get columns and the rest are kept per row in
# extra_fields.


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
            flood[f"SM{i:05d}"] = extra
            lines.append(good(i, **extra))
        else:
            lines.append(good(i, "STOP" if i == 3001 else "ok"))
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
            good(
                i,
                ApiVersion="2010-04-01",
                NumSegments=1 + i % 3,
                Price=-0.0079,
                Rate=1.0,
                Flagged=i % 2 == 0,
                Media=["a.jpg"] * (i % 3),
            )
        )
    lines.insert(15_000, good(99_999, ApiVersion=2010))  # a number where text was learned
    dump = tmp_path / "twilio.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")

    frame = ptdata.load_inbound(dump)

    assert len(frame) == 30_001
    assert list(frame.columns[len(STANDARD_COLUMNS) :]) == [
        "ApiVersion",
        "NumSegments",
        "Price",
        "Rate",
        "Flagged",
        "Media",
    ]
    rows = frame.set_index("SmsSid")  # the last lines: read by pyarrow, told the types
    last = rows.loc["SM29999"]
    assert (last["NumSegments"], last["Price"], last["Flagged"]) == ("3", "-0.0079", "false")
    assert last["Media"] == '["a.jpg","a.jpg"]'
    assert rows.loc["SM29998", "Flagged"] == "true"
    assert rows.loc["SM00000", "Rate"] == last["Rate"] == "1"  # Python, then the reader
    assert rows.loc["SM29997", "Media"] == "[]"
    assert frame.loc[frame["SmsSid"] == "SM99999", "ApiVersion"].tolist() == ["2010"]
    assert frame.attrs["ptdata.load"]["problems"] == []
    assert len(checked) < 30_000 / 10  # a piece or two through Python, not the dump


def test_nested_objects_come_back_as_sent_whatever_their_shape(tmp_path, monkeypatch):
    """No key a line lacks is added, none reordered, on lines read anywhere in the dump."""
    monkeypatch.setattr(sources, "BLOCK_BYTES", 1 << 18)
    shapes = [{"status": "successful", "results": {}}, {"status": "failed"}, {"z": 1, "a": None}]
    lines = [good(i, AddOns=shapes[i % 3]) if i % 5 == 0 else good(i) for i in range(20_000)]
    dump = tmp_path / "addons.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")

    frame = ptdata.load_inbound(dump)

    expected = [
        json.dumps(shapes[i % 3], separators=(",", ":")) if i % 5 == 0 else None
        for i in range(20_000)
    ]
    assert [v if isinstance(v, str) else None for v in frame["AddOns"]] == expected


def _measure(dump) -> dict:
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
    lines = [good(i, "STOP" if i == 7 else f"reply {i * 7919 % 100003}") for i in range(150_000)]
    clean = tmp_path / "clean.jsonl"
    clean.write_bytes(b"\n".join(lines) + b"\n")
    lines.insert(75_000, good(999_999, **{f"x{k:04d}": "v" for k in range(990)}))
    wide = tmp_path / "wide.jsonl"
    wide.write_bytes(b"\n".join(lines) + b"\n")

    base, hit = _measure(clean), _measure(wide)

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
        one = good(i, ErrorCode="30007") if i in (3, 12_345) else good(i)
        lines += [one, one] if doubled else [one]
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")

    frame = ptdata.load_inbound(dump)

    assert len(frame) == 20_000
    assert frame.index[frame["ErrorCode"].notna()].tolist() == [3, 12_345]
    assert frame["ErrorCode"].isna().sum() == 19_998


def test_a_field_that_changes_type_is_learned_again_not_re_read_per_line(tmp_path, monkeypatch):
    """Form posts send "1", a JSON relay later sends 1: every line still loads as sent, and
    the reader is not re-run for each line that differs (it learns the new type once)."""
    monkeypatch.setattr(sources, "BLOCK_BYTES", 1 << 19)
    parses = []
    real_parse = jsonl._parse
    monkeypatch.setattr(jsonl, "_parse", lambda *a, **k: parses.append(1) or real_parse(*a, **k))
    lines = [good(i, NumSegments="1" if i < 10_000 else 2) for i in range(20_000)]
    dump = tmp_path / "mixed.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")

    frame = ptdata.load_inbound(dump)

    assert frame["NumSegments"].tolist() == ["1"] * 10_000 + ["2"] * 10_000
    assert frame.attrs["ptdata.load"]["problems"] == []
    assert len(parses) < 200  # not a restart for each of the 10,000 lines
