"""Writing reports: a full disk is one clear line and nothing half-written; big reports stream
with a progress bar; ``validate --report`` honours the extension."""

from __future__ import annotations

import contextlib
import errno

import pandas as pd
import pytest
from bulk_helpers import posts

import ptdata
from ptdata.bulk import writers
from ptdata.bulk.writers import ReportWriteError, write_frame

SHEET = "Phone,Name\n+14155550101,Ava\n(415) 555-0102,Ben\n415.555.0103,Chloe\n"


class _FullDisk:
    """A file that takes ``room`` bytes, then fails the way a full disk does."""

    def __init__(self, f, room: int) -> None:
        self.f, self.room = f, room

    def write(self, data) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)


@pytest.fixture
def full_disk(monkeypatch):
    """``full_disk(room)``: reports fill the disk after ``room`` bytes; ``full_disk(None)``:
    space again."""
    opened = writers._open_partial

    def fill_after(room: int | None) -> None:
        @contextlib.contextmanager
        def cramped(partial):
            with opened(partial) as f:
                yield _FullDisk(f, room)

        monkeypatch.setattr(writers, "_open_partial", opened if room is None else cramped)
        monkeypatch.setattr(writers, "_BATCH", 100)
        monkeypatch.setattr(writers, "_XLSX_BATCH", 100)

    return fill_after


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.array(range(2, n + 2), dtype="Int64"),
            "phone": pd.Series([f"+1415555{i:04d}" for i in range(n)], dtype="str"),
            "status": pd.Series(["sent"] * n, dtype="str"),
        }
    )


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
def test_a_full_disk_leaves_nothing_half_written_and_the_old_report_as_it_was(
    tmp_path, full_disk, ext
):
    path = tmp_path / f"report.{ext}"
    write_frame(_frame(3), path)
    before = path.read_bytes()
    full_disk(2000)
    with pytest.raises(ReportWriteError) as caught:
        write_frame(_frame(1000), path)
    message = str(caught.value)
    assert message.startswith(f"could not write the report {path}")
    assert message.endswith(
        ": the disk is full (no space left on device); nothing "
        "half-written was left (the file that was there is unchanged)"
    )
    assert caught.value.errno == errno.ENOSPC
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"report.{ext}"]


def test_a_full_disk_after_a_send_is_one_line_saying_how_to_get_the_report(
    cli, tmp_path, sandbox, full_disk
):
    sheet = tmp_path / "contacts.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    out = tmp_path / "out.xlsx"
    args = (
        "send",
        sheet,
        "--body",
        "Doors open at 9!",
        "--report",
        out,
        "--campaign",
        "Doors",
        "--yes",
        "--no-progress",
        "--base-url",
        sandbox.url,
        "--no-quiet-hours",
    )
    full_disk(500)
    result = cli(*args)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert errors == [
        f"error: could not write the report {out}: the disk is full (no space left on device); "
        "nothing half-written was left. Every outcome is in the send history: free some space "
        f"and run `ptdata history --campaign Doors --report {out}` (running the send again "
        "texts nobody twice)."
    ]
    assert "Traceback" not in result.output
    assert not out.exists()
    sent = len(posts(sandbox))
    assert sent == 1
    full_disk(None)  # space again: what the message says
    again = cli("history", "--campaign", "Doors", "--report", out)
    assert again.exit_code == 0, again.output
    report = ptdata.read_report(out)
    assert sorted(report["phone"]) == ["+14155550101", "+14155550102", "+14155550103"]
    assert set(report["status"]) == {"sent"}
    assert cli(*args).exit_code == 0
    assert len(posts(sandbox)) == sent  # nobody texted twice


def test_a_full_disk_on_a_dry_run_says_nothing_was_sent(cli, tmp_path, full_disk):
    sheet = tmp_path / "contacts.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    full_disk(100)
    result = cli(
        "send",
        sheet,
        "--body",
        "Hi",
        "--report",
        tmp_path / "plan.csv",
        "--dry-run",
        "--no-quiet-hours",
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: could not write the report {tmp_path / 'plan.csv'}: the disk is full (no space "
        "left on device); nothing half-written was left. Nothing was sent: free some space and "
        "run the same command again."
    )


def test_validate_writes_the_report_its_extension_asks_for(cli, tmp_path):
    from openpyxl import load_workbook

    sheet = tmp_path / "contacts.csv"
    sheet.write_text('Phone,Name\n+14155550101,Ava\n12345,=HYPERLINK("x")\n', encoding="utf-8")
    result = cli("validate", sheet, "--report", tmp_path / "problems.xlsx")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"report: {tmp_path / 'problems.xlsx'} (1 failure)"
    ws = load_workbook(tmp_path / "problems.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("row", "column", "value", "reason", "message")
    assert rows[1][:3] == (3, "Phone", "12345")
    result = cli("validate", sheet, "--report", tmp_path / "problems.parquet")
    assert pd.read_parquet(tmp_path / "problems.parquet")["value"].tolist() == ["12345"]
    result = cli("validate", sheet, "--report", tmp_path / "problems.txt")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: cannot write 'problems.txt': use a .csv, .xlsx or .parquet file name"
    )


def test_a_big_report_shows_a_progress_bar(tmp_path, monkeypatch):
    import tqdm.auto

    seen = []

    class Bar:
        def __init__(self, total, desc, **kwargs):
            seen.append((desc, total))
            self.n = 0

        def update(self, n):
            self.n += n
            seen.append(self.n)

        def close(self):
            seen.append("closed")

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    monkeypatch.setattr(writers, "_BAR_ROWS", 200)
    monkeypatch.setattr(writers, "_BATCH", 100)
    write_frame(_frame(250), tmp_path / "big.csv")
    write_frame(_frame(199), tmp_path / "small.csv")
    assert seen == [("writing big.csv", 250), 100, 200, 250, "closed"]
    back = ptdata.read_report(tmp_path / "big.csv")
    assert back["row"].tolist() == list(range(2, 252))  # batches join up exactly


def test_text_written_in_batches_keeps_types_across_batches(tmp_path, monkeypatch):
    """A column missing in one batch and present in the next still writes as one column."""
    monkeypatch.setattr(writers, "_BATCH", 2)
    monkeypatch.setattr(writers, "_XLSX_BATCH", 2)
    frame = pd.DataFrame(
        {
            "note": pd.Series([None, None, "=x", "02134", None], dtype="str"),
            "attempts": pd.array([None, None, 1, 2, None], dtype="Int64"),
            "at": pd.to_datetime([None, None, "2025-03-04T10:00:00.5Z", None, None], utc=True),
            "ok": [True, False, True, False, True],
            "ratio": [float("nan"), 0.5, 1.0, 2.25, float("nan")],
        }
    )
    path = write_frame(frame, tmp_path / "r.csv")
    assert path.read_bytes().decode("utf-8-sig").split("\r\n") == [
        "note,attempts,at,ok,ratio",
        ',,,"True",',
        ',,,"False",0.5',
        '"\'=x",1,"2025-03-04T10:00:00Z","True",1',
        '"02134",2,,"False",2.25',
        ',,,"True",',
        "",
    ]
    for ext in ("xlsx", "parquet"):
        back = ptdata.read_report(write_frame(frame, tmp_path / f"r.{ext}"))
        assert back["note"].tolist()[2:4] == ["=x", "02134"]


def test_xlsx_cells_are_what_xlsxwriter_writes_cell_by_cell(tmp_path, monkeypatch):
    """The rows built a batch at a time read back (value and cell type) exactly as a
    workbook written through xlsxwriter's own write_* calls: escapes, whitespace, control
    characters, infinities, missing values, booleans, times."""
    import numpy as np
    import xlsxwriter
    from openpyxl import load_workbook

    texts = ["a & b <c>", "_x0041_", "cr\r\nlf", "  lead", "trail ", "ctl\x01", "Zoë 🎉"]
    texts += ["=1+2", "", None, "tab\tin", "\ufffe", '"q"', "+14155550101", "02134"]
    n = len(texts)
    numbers = [0.5, np.nan, np.inf, -np.inf, 1e20, 1 / 3, -0.0, 2.0] + [7.0] * (n - 8)
    frame = pd.DataFrame(
        {
            "text": pd.Series(texts, dtype="str"),
            "number": numbers,
            "count": pd.array([None, *range(n - 1)], dtype="Int64"),
            "flag": pd.array([True, False, None] + [True] * (n - 3), dtype="boolean"),
            "at": pd.to_datetime(
                ["2025-03-04T10:00:00.5Z", None] + ["2025-01-01T08:30:00Z"] * (n - 2),
                utc=True,
                format="ISO8601",
            ),
        }
    )
    monkeypatch.setattr(writers, "_XLSX_BATCH", 2)
    ours = write_frame(frame, tmp_path / "ours.xlsx")

    options = {"constant_memory": True, "nan_inf_to_errors": True}
    wb = xlsxwriter.Workbook(str(tmp_path / "theirs.xlsx"), options)
    ws = wb.add_worksheet("report")
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for c, name in enumerate(frame.columns):
        ws.write_string(0, c, name)
    for r, row in enumerate(frame.itertuples(index=False), 1):
        if isinstance(row.text, str) and row.text:
            ws.write_string(r, 0, row.text.replace("\x01", "\ufffd"))
        if row.number == row.number:
            ws.write_number(r, 1, row.number)
        if not pd.isna(row.count):
            ws.write_number(r, 2, row.count)
        if not pd.isna(row.flag):
            ws.write_boolean(r, 3, bool(row.flag))
        if not pd.isna(row.at):
            ws.write_datetime(r, 4, row.at.tz_localize(None).to_pydatetime(), when)
    wb.close()

    def cells(path):
        sheet = load_workbook(path).active
        return [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]

    assert cells(ours) == cells(tmp_path / "theirs.xlsx")
    back = ptdata.read_report(ours)
    assert back["text"].tolist()[7] == "=1+2" and back["text"].tolist()[-2:] == texts[-2:]
