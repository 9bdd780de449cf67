"""The errors a sheet or a message can raise: ``PtdataError`` and ``ValueError`` subclasses.

``SheetError`` means the file could not be read as a table without guessing (ragged rows,
NUL bytes, undecodable bytes, a column named that the sheet lacks, an XLSX larger than memory);
its message names the spreadsheet row and the fix. ``TemplateError`` names an unknown merge
field and the columns that exist.
``MessageTooLong`` refuses a message above the segment or character limit unless forced.

>>> from ptdata import SheetError
>>> issubclass(SheetError, ValueError)
True
"""

from __future__ import annotations

from ptdata.api.errors import PtdataError

__all__ = ["MessageTooLong", "SheetError", "TemplateError"]


class SheetError(PtdataError, ValueError):
    """The sheet cannot be read as a table; ``row`` is the row number as the spreadsheet shows
    it."""

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


class TemplateError(PtdataError, ValueError):
    """A merge-field template is malformed or names a column the sheet does not have."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MessageTooLong(PtdataError, ValueError):
    """A message is above the segment or character limit (pass ``force=True`` to send anyway)."""

    def __init__(self, message: str, *, info: object = None) -> None:
        super().__init__(message)
        self.info = info
