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
    from ptdata.inbound import sources

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
    from ptdata.inbound import sources

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
