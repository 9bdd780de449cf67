"""SMS arithmetic: encoding, units and segments exactly as carriers count them.

GSM-7: 160 units in one segment, 153 per segment once split. The extension characters
``^ { } \\ [ ~ ] | €`` cost 2 units (escape + character) and an escape pair never straddles a
segment boundary. Any character outside GSM-7 makes the whole message UCS-2: 70 units in one
segment, 67 per segment once split, counted in UTF-16 code units (an emoji is 2) with a
surrogate pair never split. The opt-out footer counts. An empty message has 0 segments.

Limits: above ``WARN_SEGMENTS`` (3) is worth a warning; above ``MAX_SEGMENTS`` (10) or
``MAX_CHARS`` (1,600 characters) ``check_message`` refuses unless forced.

>>> info = sms_segments("Hi Ana, your table is ready \N{PARTY POPPER}")
>>> info.encoding, info.units, info.segments, info.ucs2_chars
('UCS-2', 30, 1, ('🎉',))
>>> sms_segments("Don\N{RIGHT SINGLE QUOTATION MARK}t forget: 10% off today" * 3).hint
'Smart punctuation (’) forces UCS-2 (2 segments); with plain quotes, dashes and dots it is GSM-7: 1
segment, saving 1.'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ptdata.sheets.errors import MessageTooLong

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "MAX_CHARS",
    "MAX_SEGMENTS",
    "OPT_OUT_FOOTER",
    "SMART_PUNCTUATION",
    "SegmentInfo",
    "WARN_SEGMENTS",
    "check_message",
    "plain_punctuation",
    "segments_frame",
    "sms_segments",
]

#: The GSM 03.38 default alphabet (basic table), each character one unit. ESC is not text.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table characters DESIGN.md counts: two units each (escape + character).
GSM7_EXTENSION = frozenset("^{}\\[~]|€")

#: What ``ReplySTOPToOptOut`` is assumed to append. The connector spec only says it adds
#: "STOP to opt out" at the end; the exact text and separator Power Textor uses are not
#: published, so segment counts with the footer are an estimate on the safe (longer) side.
OPT_OUT_FOOTER = "\nReply STOP to opt out"

MAX_SEGMENTS = 10
MAX_CHARS = 1600
WARN_SEGMENTS = 3

#: Typographic characters that word processors put in and GSM-7 lacks, with plain twins.
SMART_PUNCTUATION: dict[str, str] = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2012": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2011": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
}
_TRANSLATE = str.maketrans(SMART_PUNCTUATION)

_SINGLE_GSM, _MULTI_GSM = 160, 153
_SINGLE_UCS2, _MULTI_UCS2 = 70, 67


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """How a message is encoded and billed.

    ``units`` are GSM-7 septets (extension characters count 2) or UTF-16 code units;
    ``chars`` are characters as a person counts them (code points); ``ucs2_chars`` are the
    distinct characters that forced UCS-2, in order of appearance; ``hint`` says when
    swapping smart punctuation for plain would make it GSM-7 and what that saves.
    """

    encoding: str
    units: int
    segments: int
    chars: int
    ucs2_chars: tuple[str, ...] = ()
    hint: str | None = None

    @property
    def warn(self) -> bool:
        """More than ``WARN_SEGMENTS`` segments: each recipient costs that many messages."""
        return self.segments > WARN_SEGMENTS


def _pack(costs: list[int], single: int, multi: int) -> int:
    """Segments for a sequence of indivisible unit costs (an escape pair or surrogate pair is 2)."""
    total = sum(costs)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return segments


def _count(text: str) -> tuple[str, int, int, tuple[str, ...]]:
    """(encoding, units, segments, chars that forced UCS-2) without the hint."""
    forced = tuple(
        dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION)
    )
    if not forced:
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        if len(costs) == sum(costs):
            units = len(costs)
            return (
                "GSM-7",
                units,
                (0 if units == 0 else 1 if units <= _SINGLE_GSM else math.ceil(units / _MULTI_GSM)),
                (),
            )
        return "GSM-7", sum(costs), _pack(costs, _SINGLE_GSM, _MULTI_GSM), ()
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return "UCS-2", sum(costs), _pack(costs, _SINGLE_UCS2, _MULTI_UCS2), forced


def plain_punctuation(text: str) -> str:
    """The text with smart quotes, dashes, ellipses and odd spaces swapped for plain ones.

    >>> plain_punctuation("\N{LEFT DOUBLE QUOTATION MARK}Hi\N{RIGHT DOUBLE QUOTATION MARK} "
    ...                   "\N{EM DASH} see you\N{HORIZONTAL ELLIPSIS}")
    '"Hi" - see you...'
    """
    return text.translate(_TRANSLATE)


def _hint(forced: tuple[str, ...], segments: int, plain_text: str) -> str | None:
    if not forced or not all(ch in SMART_PUNCTUATION for ch in forced):
        return None
    encoding, _, plain_segments, _ = _count(plain_text)
    if encoding != "GSM-7":
        return None
    shown = " ".join(forced)
    saving = segments - plain_segments
    if saving > 0:
        tail = f"{plain_segments} segment{'s' * (plain_segments != 1)}, saving {saving}."
    else:
        tail = (
            f"still {plain_segments} segment{'s' * (plain_segments != 1)}, "
            "but 160 characters per message instead of 70."
        )
    return (
        f"Smart punctuation ({shown}) forces UCS-2 ({segments} segment{'s' * (segments != 1)}); "
        f"with plain quotes, dashes and dots it is GSM-7: {tail}"
    )


def sms_segments(text: str, *, opt_out_footer: bool = False) -> SegmentInfo:
    """Encoding, units and segments of one message (with Power Textor's opt-out footer if on).

    >>> sms_segments("€" * 80)
    SegmentInfo(encoding='GSM-7', units=160, segments=1, chars=80, ucs2_chars=(), hint=None)
    >>> sms_segments("€" * 81).segments
    2
    """
    full = text + OPT_OUT_FOOTER if opt_out_footer else text
    encoding, units, segments, forced = _count(full)
    hint = _hint(forced, segments, plain_punctuation(full)) if forced else None
    return SegmentInfo(encoding, units, segments, len(full), forced, hint)


def check_message(text: str, *, opt_out_footer: bool = False, force: bool = False) -> SegmentInfo:
    """The message's SegmentInfo; ``MessageTooLong`` above 10 segments or 1,600 characters
    unless forced.

    >>> check_message("See you at 10:30!").segments
    1
    """
    info = sms_segments(text, opt_out_footer=opt_out_footer)
    if force:
        return info
    problems = []
    if info.segments > MAX_SEGMENTS:
        problems.append(f"{info.segments} segments (the limit is {MAX_SEGMENTS})")
    if info.chars > MAX_CHARS:
        problems.append(f"{info.chars} characters (the limit is {MAX_CHARS})")
    if problems:
        extra = f" {info.hint}" if info.hint else ""
        raise MessageTooLong(
            f"The message is too long: {' and '.join(problems)}, {info.encoding}. Shorten it, "
            f"or pass force=True (--force) to send it anyway; each recipient is billed "
            f"{info.segments} messages.{extra}",
            info=info,
        )
    return info


def _char_class(chars: frozenset[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in sorted(chars)) + "]"


_ALL_BASIC = "^" + _char_class(GSM7_BASIC) + "*$"
_ALL_GSM = "^" + _char_class(GSM7_BASIC | GSM7_EXTENSION) + "*$"
_EXTENSION = _char_class(GSM7_EXTENSION)
_ASTRAL = "[\\x{10000}-\\x{10FFFF}]"


def _ints(arr: pa.Array) -> np.ndarray:
    return arr.to_numpy(zero_copy_only=False).astype(np.int64)


def segments_frame(bodies: pd.Series, *, opt_out_footer: bool = False) -> pd.DataFrame:
    """``encoding``, ``units``, ``segments`` and ``chars`` per body, vectorised for a million rows.

    Counted with a few pyarrow regex passes and string lengths: plain GSM-7, GSM-7 with
    extension characters and UCS-2 with or without emoji. Only long messages where an escape
    or a surrogate pair could straddle a boundary are counted one by one (once per distinct
    body). Missing bodies count as empty.

    >>> segments_frame(pd.Series(["Hi Ana", "Hi Zoë \N{PARTY POPPER}", "x" * 161]))
      encoding  units  segments  chars
    0    GSM-7      6         1      6
    1    UCS-2      9         1      8
    2    GSM-7    161         2    161
    """
    text = bodies.astype("str").fillna("")
    arr = pa.array(text.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    footer = len(OPT_OUT_FOOTER) if opt_out_footer else 0
    chars = _ints(pc.utf8_length(arr)) + footer
    gsm = pc.fill_null(pc.match_substring_regex(arr, _ALL_GSM), False).to_numpy(
        zero_copy_only=False
    )
    ext = np.zeros(len(arr), dtype=np.int64)
    astral = np.zeros(len(arr), dtype=np.int64)
    if gsm.any():
        plain = pc.fill_null(pc.match_substring_regex(arr, _ALL_BASIC), False).to_numpy(
            zero_copy_only=False
        )
        has_ext = np.flatnonzero(gsm & ~plain)
        if len(has_ext):
            ext[has_ext] = _ints(
                pc.count_substring_regex(pc.take(arr, pa.array(has_ext)), _EXTENSION)
            )
    ucs2 = np.flatnonzero(~gsm)
    if len(ucs2):
        astral[ucs2] = _ints(pc.count_substring_regex(pc.take(arr, pa.array(ucs2)), _ASTRAL))
    units = chars + np.where(gsm, ext, astral)
    single = np.where(gsm, _SINGLE_GSM, _SINGLE_UCS2)
    multi = np.where(gsm, _MULTI_GSM, _MULTI_UCS2)
    segments = np.where(units == 0, 0, np.where(units <= single, 1, -(-units // multi)))
    encoding = np.where(gsm, "GSM-7", "UCS-2").astype(object)
    # A two-unit character (escape pair, surrogate pair) may straddle a boundary only in a
    # split message that has one: count those exactly, once per distinct body.
    exact = np.flatnonzero((units > single) & (np.where(gsm, ext, astral) > 0))
    if len(exact):
        values = pc.take(arr, pa.array(exact)).to_pylist()
        counted = {v: _count(v + OPT_OUT_FOOTER if opt_out_footer else v)[2] for v in set(values)}
        segments[exact] = [counted[v] for v in values]
    return pd.DataFrame(
        {
            "encoding": pd.Series(encoding, index=bodies.index, dtype="str"),
            "units": pd.Series(units, index=bodies.index, dtype="int64"),
            "segments": pd.Series(segments, index=bodies.index, dtype="int64"),
            "chars": pd.Series(chars, index=bodies.index, dtype="int64"),
        }
    )
