"""Build a request for one operation from spec field names: pure, no I/O.

Checks the fields against the operation table before anything is sent (unknown names, missing
required fields, wrong types, dates), converts dates and times to the spec's UTC strings, and
encodes the body as JSON or, for MMS, as multipart with the ``Attachment`` file.
"""

from __future__ import annotations

import difflib
import io
import mimetypes
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ptdata.api.errors import UsageError
from ptdata.api.formats import (
    DATE_FIELDS,
    TIME_FIELDS,
    check_date_string,
    check_time_string,
    format_date,
    format_time,
)
from ptdata.api.operations import Operation

__all__ = ["Attachment", "PreparedRequest", "build_request", "load_attachment"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to send as the MMS ``Attachment`` part, read into memory so a retry can resend it."""

    filename: str
    content: bytes = field(repr=False)
    content_type: str

    def __repr__(self) -> str:
        return f"Attachment({self.filename!r}, {len(self.content)} bytes, {self.content_type!r})"


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """Everything needed to send one operation: method, path and an encoded body."""

    operation: Operation
    method: str
    path: str
    json: dict[str, Any] | None = None
    data: dict[str, str] | None = None
    files: dict[str, Attachment] | None = None

    @property
    def fields(self) -> dict[str, Any]:
        """The fields as sent, for logs and ledgers (files shown by name and size)."""
        out: dict[str, Any] = dict(self.json or self.data or {})
        for name, att in (self.files or {}).items():
            out[name] = {"filename": att.filename, "size": len(att.content)}
        return out


def load_attachment(value: Any, *, field_name: str = "Attachment") -> Attachment:
    """Read an attachment given as a path, bytes, a file object or an ``Attachment``."""
    if isinstance(value, Attachment):
        return value
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"{field_name}: cannot read {path.name!r}: {exc.strerror}") from None
        return Attachment(path.name, content, _guess_type(path.name))
    if isinstance(value, (bytes, bytearray, memoryview)):
        content = bytes(value)
        return Attachment("attachment" + _guess_ext(content), content, _sniff_type(content))
    if isinstance(value, tuple) and len(value) in (2, 3):
        name, content = value[0], value[1]
        att = load_attachment(content, field_name=field_name)
        ctype = value[2] if len(value) == 3 else _guess_type(name)
        return Attachment(str(name), att.content, ctype)
    read = getattr(value, "read", None)
    if callable(read):
        content = read()
        if isinstance(content, str):
            raise UsageError(f"{field_name}: open the file in binary mode ('rb')")
        content = bytes(content)
        name = getattr(value, "name", None)
        if not isinstance(name, str) or not name:
            return load_attachment(content, field_name=field_name)
        name = os.path.basename(name)
        ctype = mimetypes.guess_type(name)[0] or _sniff_type(content)
        return Attachment(name, content, ctype)
    raise UsageError(
        f"{field_name}: expected a file path, bytes or a binary file object, "
        f"got {type(value).__name__}"
    )


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF8", "image/gif", ".gif"),
    (b"%PDF", "application/pdf", ".pdf"),
)


def _sniff_type(content: bytes) -> str:
    for magic, ctype, _ in _MAGIC:
        if content.startswith(magic):
            return ctype
    return "application/octet-stream"


def _guess_ext(content: bytes) -> str:
    for magic, _, ext in _MAGIC:
        if content.startswith(magic):
            return ext
    return ".bin"


def _check_value(op: Operation, name: str, value: Any) -> Any:
    spec = op.field(name)
    where = f"{op.op_id}.{name}"
    if name in DATE_FIELDS:
        if isinstance(value, str):
            return check_date_string(value, field=where)
        if isinstance(value, (date, datetime)):
            return format_date(value, field=where)
        raise UsageError(f"{where}: expected a date or a 'MM/DD/YYYY' string, got {value!r}")
    if name in TIME_FIELDS:
        if isinstance(value, str):
            return check_time_string(value, field=where)
        if isinstance(value, (datetime, time)):
            return format_time(value, field=where)
        raise UsageError(f"{where}: expected an aware datetime or a 'hh:mm AM/PM' UTC string")
    if spec.type == "string":
        if not isinstance(value, str):
            raise UsageError(f"{where}: expected text, got {type(value).__name__} {value!r}")
        return value
    if spec.type == "array":
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise UsageError(
                f"{where}: expected a list of strings, e.g. {name}=['...', '...'], got {value!r}"
            )
        bad = [v for v in value if not isinstance(v, str)]
        if bad:
            raise UsageError(f"{where}: every item must be text; {bad[0]!r} is not")
        if not value:
            raise UsageError(f"{where}: the list is empty")
        return list(value)
    if spec.type == "boolean":
        if not isinstance(value, bool):
            raise UsageError(f"{where}: expected True or False, got {value!r}")
        return value
    if spec.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{where}: expected a whole number, got {value!r}")
        if not -(2**31) <= value < 2**31:
            raise UsageError(f"{where}: {value} does not fit the spec's int32")
        return value
    if spec.type == "file":
        return load_attachment(value, field_name=where)
    raise AssertionError(f"unhandled field type {spec.type}")  # pragma: no cover


def build_request(op: Operation, fields: dict[str, Any]) -> PreparedRequest:
    """Check ``fields`` (spec names) against ``op`` and encode them; UsageError when wrong."""
    given = {k: v for k, v in fields.items() if v is not None}
    known = set(op.field_names)
    unknown = [k for k in given if k not in known]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UsageError(
            f"{op.op_id} has no field {name!r}.{hint} Its fields are: "
            f"{', '.join(op.field_names) or '(none)'}",
            operation=op.op_id,
        )
    missing = [f for f in op.required if f not in given]
    if missing:
        raise UsageError(
            f"{op.op_id} needs {', '.join(missing)} (required by the spec)", operation=op.op_id
        )
    values = {k: _check_value(op, k, v) for k, v in given.items()}

    path = op.path
    for f in op.fields:
        if f.location == "path":
            path = path.replace("{" + f.name + "}", quote(values.pop(f.name), safe=""))
    if op.encoding == "multipart":
        files = {k: v for k, v in values.items() if isinstance(v, Attachment)}
        data = {k: _form_text(v) for k, v in values.items() if k not in files}
        return PreparedRequest(op, op.method, path, data=data, files=files)
    if op.encoding == "json":
        return PreparedRequest(op, op.method, path, json=values)
    return PreparedRequest(op, op.method, path)


def _form_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def attachment_stream(att: Attachment) -> tuple[str, io.BytesIO, str]:
    """The httpx ``files=`` tuple for an attachment (a fresh stream for each attempt)."""
    return (att.filename, io.BytesIO(att.content), att.content_type)
