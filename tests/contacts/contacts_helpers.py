"""Helpers of the contact-sync tests: a sheet from rows, the requests the sandbox received."""

from __future__ import annotations

import io

import ptdata


def sheet(text: str):
    """A contact sheet as ``read_sheet`` gives it (every cell text, index = spreadsheet row)."""
    return ptdata.read_sheet(io.BytesIO(text.encode("utf-8")))


def posts(sandbox) -> list[tuple[str, dict]]:
    """(operationId, JSON body) of every POST the sandbox received, sorted for comparison."""
    return sorted(
        ((r["operationId"], r["json"]) for r in sandbox.requests() if r["method"] == "POST"),
        key=repr,
    )


def gets(sandbox) -> list[str]:
    return [r["operationId"] for r in sandbox.requests() if r["method"] == "GET"]


def by_phone(frame, column: str) -> dict:
    return dict(zip(frame["phone"], frame[column], strict=True))


def records(frame, columns: list[str]) -> list[dict]:
    """The rows as dicts, missing values as None (and counts as plain ints)."""
    part = frame[columns].astype(object)
    return part.where(part.notna(), None).to_dict("records")
