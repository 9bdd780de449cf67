"""Read a request body and check it against the operation table, as the real API would.

Every problem becomes a ``BadRequest`` whose message names the field and what is wrong, so a
client developer sees at once which field to fix. Field names, types, required fields and
encodings all come from ``ptdata.api.operations``: nothing is re-typed here.

>>> from ptdata.api.operations import get_operation
>>> check_fields(get_operation("SendTextMessage"), {"To": "+14155550101", "Body": 3})
Traceback (most recent call last):
...
ptdata.sandbox.validate.BadRequest: Body: expected text (a JSON string), got a number (3)
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import phonenumbers

from ptdata.api.formats import DATE_FIELDS, TIME_FIELDS, parse_date_string, parse_time_string
from ptdata.api.operations import Operation

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "MAX_TEXT_CHARS",
    "BadRequest",
    "Body",
    "Upload",
    "check_fields",
    "normalize_phone",
    "parse_body",
    "when",
]

#: Carriers refuse longer texts (Twilio's limit), the footer included.
MAX_TEXT_CHARS = 1600
#: MMS attachments above this size are refused (the usual carrier limit).
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024

_TYPE_WORDS = {
    "string": "text (a JSON string)",
    "array": "a JSON array of strings",
    "boolean": "true or false",
    "integer": "a whole number",
    "file": "a file part",
}


class BadRequest(Exception):
    """The request is wrong; ``message`` says which field and how (HTTP ``status``)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Upload:
    """One file part of a multipart body."""

    name: str
    filename: str
    content_type: str
    size: int


@dataclass(slots=True)
class Body:
    """A parsed request body: JSON value or form fields, the files, and what to record."""

    kind: str  # "json", "form", "multipart", "empty" or "unreadable"
    json: Any = None
    form: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)
    json_error: str | None = None
    text: str | None = None

    def record(self) -> dict[str, Any]:
        """The JSON-able record of this body for ``/_sandbox/requests``."""
        if self.kind == "json" and self.json_error is None:
            return {"json": self.json}
        if self.kind in ("form", "multipart"):
            return {
                "form": self.form,
                "files": [
                    {
                        "name": u.name,
                        "filename": u.filename,
                        "size": u.size,
                        "content_type": u.content_type,
                    }
                    for u in self.files.values()
                ],
            }
        if self.text:
            return {"body_text": self.text[:2000]}
        return {}


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


async def parse_body(content_type: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> Body:
    """Parse ``body`` by its Content-Type; never raises (problems are checked later)."""
    media = _media_type(content_type)
    if not body and media not in ("multipart/form-data",):
        return Body("empty")
    if media == "application/json" or media.endswith("+json"):
        text = body.decode("utf-8", errors="replace")
        try:
            return Body("json", json=json.loads(text, parse_constant=_no_constant))
        except ValueError as exc:
            return Body("json", json_error=str(exc), text=text)
        except RecursionError:
            return Body("json", json_error="nested too deeply", text=text[:200])
    if media == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qsl

        pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return Body("form", form=_collect(pairs))
    if media == "multipart/form-data":
        return await _parse_multipart(headers, body)
    return Body("unreadable", text=body[:2000].decode("utf-8", errors="replace"))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _check_text(name: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(
            f"{name}: contains a character that is not valid Unicode (a lone UTF-16 surrogate)"
        ) from None
    return value


def _collect(pairs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            out[k] = (out[k] if isinstance(out[k], list) else [out[k]]) + [v]
        else:
            out[k] = v
    return out


async def _parse_multipart(headers: list[tuple[bytes, bytes]], body: bytes) -> Body:
    from starlette.datastructures import Headers, UploadFile
    from starlette.formparsers import MultiPartException, MultiPartParser

    async def stream():
        yield body
        yield b""

    parser = MultiPartParser(Headers(raw=headers), stream(), max_part_size=MAX_TEXT_CHARS * 8)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        return Body("multipart", json_error=f"unreadable multipart body: {exc.message}")
    except Exception as exc:  # python-multipart raises its own errors on junk
        return Body("multipart", json_error=f"unreadable multipart body: {exc}")
    fields: list[tuple[str, str]] = []
    files: dict[str, Upload] = {}
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                files.setdefault(
                    name,
                    Upload(
                        name,
                        value.filename or "",
                        value.content_type or "application/octet-stream",
                        len(content),
                    ),
                )
            else:
                fields.append((name, value))
    finally:
        await form.close()
    return Body("multipart", form=_collect(fields), files=files)


# -- field checks ----------------------------------------------------------------------------


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({json.dumps(value)})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return f"an array of {len(value)} item(s)"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def fields_from_body(op: Operation, body: Body, content_type: str) -> dict[str, Any]:
    """The raw field values of the request, after checking the encoding matches the op."""
    media = _media_type(content_type) or "no Content-Type"
    if op.encoding == "multipart":
        if body.kind != "multipart":
            raise BadRequest(
                f"{op.op_id} takes multipart/form-data (text fields and the Attachment file), "
                f"got {media}"
            )
        if body.json_error:
            raise BadRequest(body.json_error)
        values: dict[str, Any] = dict(body.form)
        for name, upload in body.files.items():
            values[name] = upload
        return values
    if body.kind == "empty":
        raise BadRequest(f"{op.op_id} needs a JSON body with {', '.join(op.required)}")
    if body.kind != "json":
        raise BadRequest(
            f"{op.op_id} takes a JSON body (Content-Type: application/json), got {media}"
        )
    if body.json_error is not None:
        raise BadRequest(f"the body is not valid JSON ({body.json_error})")
    if not isinstance(body.json, dict):
        raise BadRequest(
            f"the body must be a JSON object with {', '.join(op.required)}, "
            f"got {_describe(body.json)}"
        )
    return dict(body.json)


def check_fields(op: Operation, raw: dict[str, Any]) -> dict[str, Any]:
    """Check names, required fields and JSON types; the values by field name (nulls dropped)."""
    body_fields = [f for f in op.fields if f.location != "path"]
    known = {f.name: f for f in body_fields}
    for name in raw:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise BadRequest(
                f"{name}: {op.op_id} has no such field.{hint} Its fields are: {', '.join(known)}"
            )
    values = {k: v for k, v in raw.items() if v is not None}
    for f in body_fields:
        if f.name not in values:
            if f.required:
                raise BadRequest(
                    f"{f.name}: missing; {op.op_id} requires "
                    f"{', '.join(x.name for x in body_fields if x.required)}"
                )
            continue
        values[f.name] = _check_type(op, f.name, f.type, values[f.name])
    return values


def _check_type(op: Operation, name: str, ftype: str, value: Any) -> Any:
    form = op.encoding == "multipart"
    if ftype == "file":
        if not isinstance(value, Upload):
            raise BadRequest(
                f"{name}: expected a file part (Content-Disposition with a filename), "
                "got a text field"
            )
        if value.size == 0:
            raise BadRequest(f"{name}: the file {value.filename!r} is empty")
        if value.size > MAX_ATTACHMENT_BYTES:
            raise BadRequest(
                f"{name}: {value.size:,} bytes is over the "
                f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB MMS limit"
            )
        return value
    if isinstance(value, Upload):
        raise BadRequest(f"{name}: expected a text field, got a file ({value.filename!r})")
    if isinstance(value, list) and form:
        raise BadRequest(f"{name}: given {len(value)} times; send it once")
    if ftype == "string":
        if not isinstance(value, str):
            raise BadRequest(f"{name}: expected {_TYPE_WORDS['string']}, got {_describe(value)}")
        return _check_text(name, value)
    if ftype == "array":
        if not isinstance(value, list):
            raise BadRequest(f"{name}: expected {_TYPE_WORDS['array']}, got {_describe(value)}")
        if not value:
            raise BadRequest(f"{name}: the array is empty")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise BadRequest(f"{name}[{i}]: expected a string, got {_describe(item)}")
            _check_text(f"{name}[{i}]", item)
        return value
    if ftype == "boolean":
        if form and isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if not isinstance(value, bool):
            raise BadRequest(f"{name}: expected {_TYPE_WORDS['boolean']}, got {_describe(value)}")
        return value
    if ftype == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(f"{name}: expected {_TYPE_WORDS['integer']}, got {_describe(value)}")
        if not -(2**31) <= value < 2**31:
            raise BadRequest(f"{name}: {value} does not fit a 32-bit integer")
        return value
    raise BadRequest(f"{name}: unsupported field type {ftype}")  # pragma: no cover


# -- values ----------------------------------------------------------------------------------


def normalize_phone(value: str, field_name: str) -> str:
    """The E.164 form of a phone number (E.164 or a US number); BadRequest when invalid."""
    text = value.strip()
    if not text:
        raise BadRequest(f"{field_name}: empty phone number")
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise BadRequest(
            f"{field_name}: {value!r} is not a valid phone number; use E.164 like +14155550123"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_date(value: str, field_name: str) -> date:
    try:
        return parse_date_string(value)
    except ValueError:
        raise BadRequest(
            f"{field_name}: {value!r} is not a real date in MM/DD/YYYY form (e.g. 12/03/2026)"
        ) from None


def check_time(value: str, field_name: str) -> time:
    try:
        return parse_time_string(value)
    except ValueError:
        raise BadRequest(
            f"{field_name}: {value!r} is not a UTC time in hh:mm AM/PM form (e.g. 03:30 PM)"
        ) from None


def when(op: Operation, values: dict[str, Any]) -> datetime | None:
    """The UTC instant a scheduled or reminder send goes out; None for "now" operations."""
    for name in DATE_FIELDS | TIME_FIELDS:
        if name in values:
            checker = check_date if name in DATE_FIELDS else check_time
            checker(values[name], name)
    if op.timing == "scheduled":
        day = check_date(values["ScheduledDate"], "ScheduledDate")
        at = check_time(values["ScheduledTime"], "ScheduledTime")
        return datetime.combine(day, at).replace(tzinfo=UTC)
    if op.timing == "event":
        event = check_date(values["EventDate"], "EventDate")
        at = check_time(values["Time"], "Time")
        days = values["Day"]
        if days < 0:
            raise BadRequest(f"Day: {days} is negative; give the number of days before EventDate")
        if days > 3650:
            raise BadRequest(f"Day: {days} days before the event is more than ten years")
        try:
            day = event - timedelta(days=days)
        except OverflowError:
            raise BadRequest(
                f"Day: {days} days before {values['EventDate']} is before year 1"
            ) from None
        return datetime.combine(day, at).replace(tzinfo=UTC)
    return None
