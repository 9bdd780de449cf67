"""load_inbound: every input form, text kept exactly, duplicates, torn lines, types."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pytest

import ptdata
from ptdata.inbound.schema import STANDARD_COLUMNS

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"

SMS = {
    "SmsSid": "SM0001",
    "Body": "Yes",
    "MessageStatus": "received",
    "OptOutType": "",
    "AccountSid": "AC01",
    "From": "+14155550123",
    "To": "+14155550100",
    "FromCity": "BOSTON",
    "FromState": "MA",
    "FromZip": "02134",
    "FromCountry": "US",
}
MMS = {
    "MessageSid": "MM0002",
    "SmsSid": "MM0002",
    "Body": "photo",
    "NumMedia": "1",
    "From": "+16175550101",
    "To": "+14155550100",
    "FromZip": "01002",
    "mediaURL": "https://media.example/ME1",
    "contentType": "image/jpeg",
}


def line(payload: dict, received_at: str | None = "2025-03-04T17:02:11.123456Z", kind=None) -> str:
    rec = {}
    if received_at is not None:
        rec["received_at"] = received_at
    if kind:
        rec["kind"] = kind
    rec.update(payload)
    return json.dumps(rec, ensure_ascii=False)


def write(path: Path, lines: list[str], *, end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


def test_listener_dump_typed_and_exact(tmp_path):
    dump = write(tmp_path / "d.jsonl", [line(SMS, kind="sms"), line(MMS, kind="mms")])
    frame = ptdata.load_inbound(dump)
    assert list(frame.columns[: len(STANDARD_COLUMNS)]) == list(STANDARD_COLUMNS)
    assert frame["From"].tolist() == ["+14155550123", "+16175550101"]
    assert frame["FromZip"].tolist() == ["02134", "01002"]
    assert frame["OptOutType"].tolist()[0] == ""  # sent empty, kept empty
    assert str(frame["received_at"].dtype) == "datetime64[us, UTC]"
    assert frame["received_at"][0] == pd.Timestamp("2025-03-04T17:02:11.123456Z")
    assert frame["NumMedia"].dtype == "Int64"
    assert frame["NumMedia"].tolist() == [pd.NA, 1]
    assert frame["kind"].tolist() == ["sms", "mms"]
    assert frame.attrs["ptdata.load"]["skipped"] == 0


def test_plain_twilio_lines_without_listener_fields(tmp_path):
    dump = write(
        tmp_path / "plain.jsonl", [line(SMS, received_at=None), line(MMS, received_at=None)]
    )
    frame = ptdata.load_inbound(dump)
    assert frame["kind"].tolist() == ["sms", "mms"]  # inferred from the media
    assert frame["received_at"].isna().all()


def test_envelope_lines_are_unwrapped(tmp_path):
    rows = [
        json.dumps(
            {
                "received_at": "2025-03-04T10:00:00Z",
                "content_type": "application/json",
                "payload": SMS,
            }
        )
    ]
    frame = ptdata.load_inbound(write(tmp_path / "env.jsonl", rows))
    assert frame.loc[0, "From"] == "+14155550123"
    assert frame.loc[0, "FromZip"] == "02134"
    assert frame.loc[0, "content_type"] == "application/json"


def test_json_array_file(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([SMS, MMS], indent=2), encoding="utf-8")
    frame = ptdata.load_inbound(path)
    assert frame["SmsSid"].tolist() == ["SM0001", "MM0002"]
    assert frame["FromZip"].tolist() == ["02134", "01002"]


def test_csv_export_keeps_text(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "\ufeffreceived_at,From,Body,FromZip,NumMedia,SmsSid\r\n"
        '2025-03-04T10:00:00Z,+14155550123,"Stop, please",02134,0,SM1\r\n'
        '2025-03-04T10:05:00Z,+14155550124,"two\nlines",00501,2,SM2\r\n',
        encoding="utf-8",
    )
    frame = ptdata.load_inbound(path)
    assert frame["From"].tolist() == ["+14155550123", "+14155550124"]
    assert frame["FromZip"].tolist() == ["02134", "00501"]
    assert frame["Body"].tolist() == ["Stop, please", "two\nlines"]
    assert frame["NumMedia"].tolist() == [0, 2]
    assert frame["kind"].tolist() == ["sms", "mms"]


def test_a_csv_that_is_not_an_inbound_export_is_skipped(tmp_path):
    (tmp_path / "contacts.csv").write_text("Phone,Name\n+14155550123,Ann\n", encoding="utf-8")
    (tmp_path / "in.jsonl").write_text(line(SMS) + "\n", encoding="utf-8")
    frame = ptdata.load_inbound(tmp_path)
    assert frame["SmsSid"].tolist() == ["SM0001"]
    assert frame.attrs["ptdata.load"]["problems"] == [
        f"{tmp_path / 'contacts.csv'}: no From, Body, SmsSid or MessageSid column: not an "
        "inbound export, skipped"
    ]


def test_form_encoded_lines(tmp_path):
    path = tmp_path / "posts.txt"
    body = "Caf\u00e9 & more = 100% + \U0001f600"
    lines = ["# a comment", urlencode({**SMS, "Body": body, "received_at": "2025-03-04T10:00:00Z"})]
    write(path, lines)
    frame = ptdata.load_inbound(path)
    assert frame.loc[0, "Body"] == body
    assert frame.loc[0, "From"] == "+14155550123"
    assert frame.loc[0, "FromZip"] == "02134"


def test_gzip_folder_glob_and_list(tmp_path):
    folder = tmp_path / "dumps"
    (folder / "sub").mkdir(parents=True)
    with gzip.open(folder / "a.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(line(SMS) + "\n")
    write(folder / "sub" / "b.jsonl", [line(MMS)])
    (folder / "notes.md").write_text("not a dump")
    (folder / ".hidden.jsonl").write_text("{torn")
    by_folder = ptdata.load_inbound(folder)
    assert sorted(by_folder["SmsSid"]) == ["MM0002", "SM0001"]
    by_glob = ptdata.load_inbound(str(folder / "**" / "*.jsonl*"))
    assert sorted(by_glob["SmsSid"]) == ["MM0002", "SM0001"]
    by_list = ptdata.load_inbound([folder / "a.jsonl.gz", folder / "sub" / "b.jsonl"])
    assert by_list["SmsSid"].tolist() == ["SM0001", "MM0002"]
    assert by_list.loc[0, "FromZip"] == "02134"


def test_truncated_gzip_keeps_what_was_there(tmp_path):
    raw = gzip.compress(
        ("\n".join(line({**SMS, "SmsSid": f"SM{i}"}) for i in range(200)) + "\n").encode()
    )
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(raw[: len(raw) * 2 // 3])
    frame = ptdata.load_inbound(path)
    report = frame.attrs["ptdata.load"]
    assert 0 < len(frame) < 200
    assert any("gzip stream ends early" in p for p in report["problems"])


def test_duplicates_keep_first_and_are_counted(tmp_path):
    first = line({**SMS, "Body": "first copy"}, "2025-03-04T10:00:00Z")
    again = line({**SMS, "Body": "second copy"}, "2025-03-04T10:00:05Z")
    mms_again = line({**MMS, "SmsSid": ""}, "2025-03-04T10:00:06Z")  # same MessageSid
    no_sid = line({"From": "+14155550123", "Body": "x"})
    frame = ptdata.load_inbound(
        write(tmp_path / "d.jsonl", [first, line(MMS), again, mms_again, no_sid, no_sid])
    )
    assert frame["Body"].tolist() == ["first copy", "photo", "x", "x"]
    assert frame.attrs["ptdata.load"]["duplicates"] == 2
    assert frame.attrs["ptdata.load"]["read"] == 6


def test_duplicates_keyed_on_message_sid_alone(tmp_path):
    only_message = {k: v for k, v in MMS.items() if k != "SmsSid"}
    frame = ptdata.load_inbound(
        write(
            tmp_path / "d.jsonl",
            [line(SMS), line(only_message), line({**only_message, "Body": "again"}), line(MMS)],
        )
    )
    assert frame["Body"].tolist() == ["Yes", "photo"]
    assert frame.attrs["ptdata.load"]["duplicates"] == 2


@pytest.mark.parametrize(
    "every",
    [
        pytest.param(500, id="few-repeats"),  # long runs of first deliveries
        pytest.param(2, id="many-repeats"),  # every other line a repeat
    ],
)
def test_duplicates_dropped_in_a_big_dump(tmp_path, every):
    lines, expected = [], []
    for i in range(3000):
        if i % every == every - 1:
            lines.append(line({**SMS, "SmsSid": f"SM{i - 1}", "Body": "again"}, kind="sms"))
        else:
            lines.append(line({**SMS, "SmsSid": f"SM{i}", "Body": f"b{i}"}, kind="sms"))
            expected.append(f"b{i}")
    frame = ptdata.load_inbound(write(tmp_path / "big.jsonl", lines))
    assert frame["Body"].tolist() == expected
    assert frame["SmsSid"].tolist() == [f"SM{b[1:]}" for b in expected]
    assert frame["FromZip"].eq("02134").all() and frame["kind"].eq("sms").all()
    assert frame["received_at"].notna().all()
    assert frame.index.tolist() == list(range(len(expected)))
    assert frame.attrs["ptdata.load"]["duplicates"] == 3000 - len(expected)


def test_duplicates_across_files(tmp_path):
    a = write(tmp_path / "a.jsonl", [line(SMS)])
    b = write(tmp_path / "b.jsonl", [line({**SMS, "Body": "again"})])
    frame = ptdata.load_inbound([a, b])
    assert frame["Body"].tolist() == ["Yes"]
    assert frame.attrs["ptdata.load"]["duplicates"] == 1


def test_repeats_dropped_across_many_files_keep_every_first_delivery_in_order(tmp_path):
    """Long runs of first deliveries that cross from one file's rows into the next."""
    files, expected, sid = [], [], 0
    for f in range(4):
        lines = []
        for i in range(1500):
            if i in (1, 700):  # a repeat of the line before
                lines.append(line({**SMS, "SmsSid": f"SM{sid - 1}", "Body": "again"}))
            else:
                lines.append(line({**SMS, "SmsSid": f"SM{sid}", "Body": f"b{sid}"}))
                expected.append(f"b{sid}")
                sid += 1
        files.append(write(tmp_path / f"{f}.jsonl", lines))
    frame = ptdata.load_inbound(files)
    assert frame["Body"].tolist() == expected
    assert frame["SmsSid"].tolist() == [f"SM{b[1:]}" for b in expected]
    assert frame["received_at"].notna().all() and frame["kind"].eq("sms").all()
    assert frame.attrs["ptdata.load"]["duplicates"] == 8


def test_torn_last_line_is_skipped_and_reported(tmp_path, caplog):
    lines = [line({**SMS, "SmsSid": f"SM{i}"}) for i in range(5)]
    dump = tmp_path / "crash.jsonl"
    dump.write_text("\n".join(lines) + "\n" + lines[0][:40], encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="ptdata.inbound"):
        frame = ptdata.load_inbound(dump)
    report = frame.attrs["ptdata.load"]
    assert len(frame) == 5
    assert report["skipped"] == 1
    assert report["skipped_lines"] == {str(dump): [6]}
    assert f"{dump}, line 6: torn or invalid JSON" in report["problems"]
    assert "line(s) 6" in caplog.text


def test_torn_lines_in_the_middle(tmp_path):
    lines = [line({**SMS, "SmsSid": f"SM{i}"}) for i in range(300)]
    lines[10] = lines[10][:30]
    lines[200] = "not json at all"
    lines[250] = "[1, 2]"
    frame = ptdata.load_inbound(write(tmp_path / "d.jsonl", lines))
    report = frame.attrs["ptdata.load"]
    assert len(frame) == 297
    assert report["skipped_lines"][str(tmp_path / "d.jsonl")] == [11, 201, 251]
    assert frame["SmsSid"].tolist() == [f"SM{i}" for i in range(300) if i not in (10, 200, 250)]
    assert any("a JSON array, not an object" in p for p in report["problems"])


def test_errors_raise_names_file_and_line(tmp_path):
    dump = write(tmp_path / "d.jsonl", [line(SMS), "{torn"])
    with pytest.raises(ptdata.InboundLoadError, match=r"d\.jsonl, line 2: torn or invalid JSON"):
        ptdata.load_inbound(dump, errors="raise")


def test_field_type_changes_mid_file(tmp_path):
    """A JSON poster sends NumMedia as a number, a form poster as text: both load."""
    lines = [
        line(
            {
                **MMS,
                "MessageSid": f"MM{i}",
                "SmsSid": f"MM{i}",
                "NumMedia": "1" if i % 3 else 1,
                "Extra": i if i < 150 else f"x{i}",
            }
        )
        for i in range(300)
    ]
    frame = ptdata.load_inbound(write(tmp_path / "mixed.jsonl", lines))
    assert len(frame) == 300
    assert frame["NumMedia"].tolist() == [1] * 300
    assert frame["Extra"].tolist()[:2] == ["0", "1"]
    assert frame["Extra"].tolist()[-1] == "x299"
    assert frame.attrs["ptdata.load"]["skipped"] == 0


def test_big_file_read_in_chunks_loads_the_same(tmp_path, monkeypatch):
    """A big dump is read a chunk of lines at a time: same frame, same report as in one
    piece, even when a field's JSON type differs between chunks and lines are torn."""
    from ptdata.inbound import sources

    lines = [
        line(
            {
                **MMS,
                "MessageSid": f"MM{i % 250}",
                "SmsSid": f"MM{i % 250}",
                "NumMedia": "1" if i < 200 else 2,
                "Extra": i if i < 100 else f"x{i}",
                **({"Late": "2025-03-04"} if i >= 240 else {}),
            },
            kind="mms",
        )
        for i in range(300)
    ]
    lines[120] = lines[120][:50]  # torn mid-file, as a listener crash leaves it
    dump = tmp_path / "big.jsonl"
    dump.write_text("\n".join(lines) + "\n" + lines[0][:40], encoding="utf-8")
    whole = ptdata.load_inbound(dump)
    monkeypatch.setattr(sources, "BLOCK_BYTES", 2000)  # ~ 6 lines per chunk
    parts = ptdata.load_inbound(dump)
    pd.testing.assert_frame_equal(parts, whole)
    assert parts.attrs["ptdata.load"] == whole.attrs["ptdata.load"]
    assert len(parts) == 249 and parts.attrs["ptdata.load"]["duplicates"] == 50
    assert parts.attrs["ptdata.load"]["skipped_lines"] == {str(dump): [121, 301]}
    assert parts["NumMedia"].tolist() == [1] * 199 + [2] * 50
    assert parts["Extra"].tolist()[99:101] == ["99", "x100"]
    assert parts["Late"].isna().sum() == 239 and parts["Late"].iloc[-1] == "2025-03-04"


def test_file_holding_only_a_torn_line(tmp_path):
    dump = tmp_path / "torn.jsonl"
    dump.write_text('{"From": "+1415', encoding="utf-8")
    frame = ptdata.load_inbound(dump)
    assert len(frame) == 0
    assert frame.attrs["ptdata.load"]["skipped_lines"] == {str(dump): [1]}


def test_extra_fields_kept_as_text_exactly(tmp_path):
    extra = {
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
        "DateSent": "2025-03-04",
        "Price": -0.0075,
        "Flags": {"a": [1, 2]},
        "Opt": True,
        "Nothing": None,
    }
    frame = ptdata.load_inbound(write(tmp_path / "d.jsonl", [line({**SMS, **extra})]))
    row = frame.iloc[0]
    assert row["ApiVersion"] == "2010-04-01"
    assert row["DateSent"] == "2025-03-04"  # not turned into a timestamp
    assert row["NumSegments"] == "1"
    assert row["Price"] == "-0.0075"
    assert row["Flags"] == '{"a":[1,2]}'
    assert row["Opt"] == "true"
    assert pd.isna(row["Nothing"])
    assert set(frame.columns[len(STANDARD_COLUMNS) :]) == set(extra)


def test_bad_values_become_missing_and_are_reported(tmp_path):
    lines = [
        line({**MMS, "NumMedia": "two"}, received_at="yesterday-ish"),
        line({**SMS, "SmsSid": "SM2"}, received_at="2025-03-04 10:00:00"),
    ]
    frame = ptdata.load_inbound(write(tmp_path / "d.jsonl", lines))
    report = frame.attrs["ptdata.load"]
    assert frame["NumMedia"].isna().all()
    assert frame["received_at"].tolist()[1] == pd.Timestamp("2025-03-04T10:00:00Z")
    assert pd.isna(frame["received_at"][0])
    assert report["bad_integers"] == {"NumMedia": 1}
    assert report["bad_received_at"] == 1


def test_empty_and_missing_inputs(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    frame = ptdata.load_inbound(empty)
    assert len(frame) == 0 and list(frame.columns) == list(STANDARD_COLUMNS)
    with pytest.raises(FileNotFoundError, match="no such file"):
        ptdata.load_inbound(tmp_path / "nope.jsonl")
    with pytest.raises(FileNotFoundError, match="no files match"):
        ptdata.load_inbound(str(tmp_path / "*.csv"))


def test_samples_load():
    frame = ptdata.load_inbound(str(SAMPLES / "inbound_*"))
    report = frame.attrs["ptdata.load"]
    assert report["skipped"] == 0
    assert report["duplicates"] == 1
    assert set(frame["kind"]) == {"sms", "mms"}
    assert (frame.loc[frame["kind"] == "mms", "NumMedia"] == 1).all()
    assert "+16175550123" in set(frame["From"])


def test_every_input_form_meets_the_schema(tmp_path):
    """The loader types the frame itself (no validation pass): each form it reads, and the
    empty frame, still passes INBOUND_SCHEMA."""
    from ptdata.inbound.schema import INBOUND_SCHEMA

    (tmp_path / "d.jsonl").write_text(
        "\n".join([line(SMS, kind="sms"), line({**MMS, "NumMedia": "-1"}), "{torn"]) + "\n",
        encoding="utf-8",
    )
    (tmp_path / "e.csv").write_text("From,Body,NumMedia\n+14155550123,STOP,0\n", encoding="utf-8")
    (tmp_path / "f.form").write_text(urlencode({**SMS, "SmsSid": "SM9"}) + "\n", encoding="utf-8")
    empty = tmp_path / "empty" / "x.jsonl"
    empty.parent.mkdir()
    empty.write_text("")
    for source in (tmp_path / "d.jsonl", tmp_path / "e.csv", tmp_path / "f.form", empty):
        INBOUND_SCHEMA.validate(ptdata.load_inbound(source), lazy=True)
    INBOUND_SCHEMA.validate(ptdata.load_inbound(SAMPLES), lazy=True)
