"""Phone numbers to E.164, exactly as libphonenumber decides, fast enough for a million rows.

``normalize_phones`` agrees with ``phonenumbers.parse`` → ``is_valid_number`` →
``format_number(E164)`` on every input. The common North American shapes
(``(415) 555-0123``, ``415.555.0123``, ``+1 415 555 0123``, ``14155550123``, ``555-0123``)
take a vectorised fast path: one pyarrow regex for the shape, then libphonenumber's own
validity rules, read from its metadata (not copied) and applied the way ``is_valid_number``
does: the +1 regions in its order, leading-digit rules first (Canada and the Caribbean
included). Anything else (other countries, extensions, letters, odd punctuation) is parsed
by libphonenumber itself, once per distinct value.

``phone_problems`` says *why* a value is unusable, and flags Excel damage even where
libphonenumber would accept the digits: a number Excel showed as ``4.155550123E9`` or
``4155550123.0``, or cut to 15 significant digits, is rejected, never repaired.

>>> normalize_phones(["(415) 555-0123", "+44 20 7946 0958", "555-0123"]).tolist()
['+14155550123', '+442079460958', nan]
>>> phone_problems(["4.155550123E9", "", "(415) 555-0123"]).tolist()
['excel_scientific', 'missing', nan]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat

__all__ = [
    "PHONE_REASONS",
    "normalize_phones",
    "phone_problem_message",
    "phone_problems",
    "phone_verdicts",
]

#: Reason codes ``phone_problems`` returns, with what each means for the user.
PHONE_REASONS: dict[str, str] = {
    "missing": "no phone number",
    "excel_scientific": "Excel turned the number into scientific notation",
    "excel_decimal": "Excel added a decimal part (.0) to the number",
    "excel_truncated": "Excel cut the number to 15 digits and filled the rest with zeros",
    "not_a_number": "not a phone number",
    "invalid": "not a valid phone number",
    "extension": "the number has an extension, which a text cannot reach",
}

# Shapes of a ten-digit North American number with an optional +1 / 1 in front. Values of
# these shapes are decided by the +1 region rules; every other value is parsed by
# libphonenumber itself, so the shapes may be strict without harm.
_AREA_AND_NUMBER = r"(?:\([0-9]{3}\) ?|[0-9]{3}[ .-]?)[0-9]{3}[ .-]?[0-9]{4}[ \t]*$"
_PLUS_ONE_SHAPE = r"^[ \t]*\+1[ .-]?" + _AREA_AND_NUMBER
_NANP_SHAPE = r"^[ \t]*(?:\+1[ .-]?|1[ .-]?)?" + _AREA_AND_NUMBER

# An extension after a number: " x12", " ext. 43", " extension 7" (the labels libphonenumber
# reads as one); anything rarer (";ext=", "#") goes to libphonenumber itself.
_EXTENSION = r"(?i)^(.*[0-9][ \t()-]*?)[ \t]*(?:x|ext\.?|extension)[ \t]*([0-9]{1,6})[ \t]*$"

_SCIENTIFIC = r"^\s*[+-]?[0-9]+(?:[.,][0-9]+)?[eE][+]?[0-9]+\s*$"
_DECIMAL = r"^\s*\+?[0-9]{7,}[.,]0+\s*$"
_TRUNCATED = r"^\s*\+?[0-9]{15,}0\s*$"


def _typed_patterns(meta: PhoneMetadata, length: int) -> tuple[str, str] | None:
    """libphonenumber's "this number has a type here" for ``length`` digits, as two regexes.

    A type needs the general pattern AND one of the type patterns (each only where ``length``
    is a possible length). RE2 has no lookahead, so the two are kept apart and both must match.
    """
    general = meta.general_desc
    if general is None:
        return None
    if general.possible_length and length not in general.possible_length:
        return None
    descs = [
        meta.premium_rate,
        meta.toll_free,
        meta.shared_cost,
        meta.voip,
        meta.personal_number,
        meta.pager,
        meta.uan,
        meta.voicemail,
        meta.fixed_line,
    ]
    if not meta.same_mobile_and_fixed_line_pattern:
        descs.append(meta.mobile)
    types = [
        d.national_number_pattern
        for d in descs
        if d is not None
        and d.national_number_pattern
        and (not d.possible_length or length in d.possible_length)
    ]
    if not types:
        return None
    return f"^(?:{general.national_number_pattern})$", "^(?:" + "|".join(
        f"(?:{t})" for t in types
    ) + ")$"


def _nanp_regions(length: int) -> list[tuple[str | None, tuple[str, str] | None]]:
    """The +1 regions in libphonenumber's own order: (leading-digits regex, type patterns).

    ``is_valid_number`` picks the first region whose leading digits match (or, without a
    leading-digits rule, whose patterns type the number) and checks validity there alone.
    """
    out = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]:
        meta = PhoneMetadata.metadata_for_region(region)
        if meta is None:
            continue
        lead = f"^(?:{meta.leading_digits})" if meta.leading_digits is not None else None
        out.append((lead, _typed_patterns(meta, length)))
    return out


#: The +1 regions' rules for ten-digit numbers, and for seven-digit ones (read in a North
#: American region, 555-0123 is +1 and seven digits: never valid in the US, but 310-1234 is
#: a valid Canadian number).
_NANP_REGIONS = _nanp_regions(10)
_NANP_REGIONS_7 = _nanp_regions(7)
_LOCAL_SHAPE = r"^[ \t]*[2-9][0-9]{2}[ .-]?[0-9]{4}[ \t]*$"
_LOCAL_DETAIL = "it has 7 digits; add the area code in front"


def _matches(arr: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False)


def _typed(arr: pa.Array, patterns: tuple[str, str] | None) -> pa.Array:
    if patterns is None:
        return pa.repeat(False, len(arr)) if len(arr) else pa.array([], pa.bool_())
    return pc.and_(_matches(arr, patterns[0]), _matches(arr, patterns[1]))


def _nanp_valid(ten: pa.Array, *, skip_first: bool = False, regions=None) -> np.ndarray:
    """For national numbers of one length (first digit 2-9): is +1 and these digits valid?

    ``regions`` are the rules for that length (ten digits by default); ``skip_first`` when the
    numbers are already known not to be typed by the first region (US).
    """
    regions = _NANP_REGIONS if regions is None else regions
    valid = np.zeros(len(ten), dtype=bool)
    undecided = np.arange(len(ten))
    for lead, patterns in regions[1 if skip_first else 0 :]:
        if not len(undecided):
            break
        sub = pc.take(ten, pa.array(undecided))
        if lead is not None:
            claimed = _matches(sub, lead).to_numpy(zero_copy_only=False)
            picked = undecided[claimed]
            valid[picked] = _typed(pc.take(ten, pa.array(picked)), patterns).to_numpy(
                zero_copy_only=False
            )
        else:
            claimed = _typed(sub, patterns).to_numpy(zero_copy_only=False)
            valid[undecided[claimed]] = True
        undecided = undecided[~claimed]
    return valid


@functools.lru_cache(maxsize=64)
def _plain_nanp_region(region: str | None) -> bool:
    """True when a number without ``+`` is read as +1 with ``1`` as the only national prefix."""
    if region is None:
        return False
    meta = PhoneMetadata.metadata_for_region(region.upper())
    return (
        meta is not None
        and meta.country_code == 1
        and meta.national_prefix == "1"
        and meta.national_prefix_for_parsing in (None, "1")
    )


def _as_text(values: Iterable[object] | pd.Series) -> pd.Series:
    """The values as a pandas ``str`` Series (missing stays missing), keeping a Series' index."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        return s
    return s.astype("str")


_NANP_UNKNOWN = (
    "no North American number starts like this; check the area code and the next 3 digits"
)


def _detail(number: phonenumbers.PhoneNumber) -> str:
    """Why a parsed number is not valid, in words."""
    reason = phonenumbers.is_possible_number_with_reason(number)
    where = phonenumbers.region_code_for_country_code(number.country_code or 0)
    place = f"a {where} number" if where not in (None, "ZZ", "001") else "a number there"
    digits = len(str(number.national_number))
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return (
            _LOCAL_DETAIL if digits == 7 else f"it has {digits} digits; add the area code in front"
        )
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        return f"it has {digits} digits, too few for {place}"
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        return f"it has {digits} digits, too many for {place}"
    if reason == phonenumbers.ValidationResult.INVALID_LENGTH:
        return f"{digits} digits is not a length {place} can have"
    if number.country_code == 1:
        return _NANP_UNKNOWN
    return f"it is not a number in use for {place}"


def _parse_error_detail(exc: NumberParseException, region: str | None) -> str:
    if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        if region is None:
            return "it has no country code: write it with + and the country code"
        return "the country code after + is not a real one"
    if exc.error_type in (
        NumberParseException.TOO_SHORT_NSN,
        NumberParseException.TOO_SHORT_AFTER_IDD,
    ):
        return "it is too short"
    if exc.error_type == NumberParseException.TOO_LONG:
        return "it is too long"
    return "it is not a phone number"


@functools.lru_cache(maxsize=1 << 16)
def _verdict(value: str, region: str | None) -> tuple[str | None, str | None, str | None]:
    """libphonenumber's verdict on one value: (E.164 or None, reason code, why in words)."""
    try:
        number = phonenumbers.parse(value, region)
    except NumberParseException as exc:
        code = "not_a_number" if exc.error_type == NumberParseException.NOT_A_NUMBER else "invalid"
        return None, code, _parse_error_detail(exc, region)
    if phonenumbers.is_valid_number(number):
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        # libphonenumber accepts "212-555-0101 x101" as the line; a text cannot dial x101
        return (e164, "extension", number.extension) if number.extension else (e164, None, None)
    return None, "invalid", _detail(number)


def _reference(value: str, region: str | None) -> tuple[str | None, str | None]:
    """libphonenumber's verdict on one value: (E.164 or None, reason code or None).

    A number with an extension has its E.164 (libphonenumber's answer) and reason ``extension``.
    """
    return _verdict(value, region)[:2]


def _strip_punctuation(arr: pa.Array) -> pa.Array:
    """The digits of values in the fast-path shapes (literal replaces beat one regex by ~2x)."""
    for ch in " \t()-.+":
        arr = pc.replace_substring(arr, ch, "")
    return arr


def _analyse(
    values: Iterable[object] | pd.Series, region: str | None, skip: np.ndarray | None = None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(text, E.164, libphonenumber reason) for every value; the work behind both public functions.

    ``skip`` marks values not worth parsing one by one (their E.164 and reason stay missing).
    """
    text = _as_text(values)
    arr = pa.array(text.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    shape = _NANP_SHAPE if _plain_nanp_region(region) else _PLUS_ONE_SHAPE
    # "(212) 555-0101 x12": libphonenumber reads the number before the extension label as it
    # would read it alone, so the fast path judges that part; the row's reason is "extension".
    # only values with an x (x, ext, extension) can be of that shape: check those few closely
    maybe = np.flatnonzero(
        pc.fill_null(pc.match_substring(arr, "x", ignore_case=True), False).to_numpy(
            zero_copy_only=False
        )
    )
    ext_np = np.zeros(len(arr), dtype=bool)
    base = arr
    if len(maybe):
        ext_np[
            maybe[
                _matches(pc.take(arr, pa.array(maybe)), _EXTENSION).to_numpy(zero_copy_only=False)
            ]
        ] = True
    has_ext = bool(ext_np.any())
    if has_ext:
        labelled_at = np.flatnonzero(ext_np)
        numbers = pc.replace_substring_regex(pc.take(arr, pa.array(labelled_at)), _EXTENSION, r"\1")
        base = pc.replace_with_mask(arr, pa.array(ext_np), numbers)
    # A +1 / 1 and ten digits whose first is 2-9, in one of the shapes: libphonenumber reads
    # exactly +1 and these ten digits, so validity is decided by the +1 region patterns alone.
    fast = pc.and_(_matches(base, shape), _matches(base, r"^[^0-9]*1?[^0-9]*[2-9]"))
    stripped = _strip_punctuation(base)
    ten = pc.utf8_slice_codeunits(stripped, -10)
    valid = _typed(ten, _NANP_REGIONS[0][1])  # US first: no leading-digits rule, most numbers
    fast_np = fast.to_numpy(zero_copy_only=False)
    valid_np = valid.to_numpy(zero_copy_only=False).copy()
    others = np.flatnonzero(fast_np & ~valid_np)
    if len(others):
        valid_np[others] = _nanp_valid(pc.take(ten, pa.array(others)), skip_first=True)
    null = pa.scalar(None, ten.type)
    plus_one = pc.binary_join_element_wise(pa.scalar("+1", ten.type), ten, pa.scalar("", ten.type))
    e164 = pc.if_else(pa.array(fast_np & valid_np), plus_one, null)
    invalid = fast_np & ~valid_np
    if _plain_nanp_region(region):
        # Seven digits (555-0123): +1 and those seven digits, judged by the same region rules.
        local = np.flatnonzero(_matches(arr, _LOCAL_SHAPE).to_numpy(zero_copy_only=False))
        if len(local):
            seven = pc.utf8_slice_codeunits(pc.take(stripped, pa.array(local)), -7)
            ok = _nanp_valid(seven, regions=_NANP_REGIONS_7)
            good = np.zeros(len(arr), dtype=bool)
            good[local[ok]] = True
            e164 = pc.replace_with_mask(
                e164,
                pa.array(good),
                pc.binary_join_element_wise(
                    pa.scalar("+1", ten.type),
                    pc.filter(seven, pa.array(ok)),
                    pa.scalar("", ten.type),
                ),
            )
            invalid[local[~ok]] = True
            fast_np = fast_np.copy()
            fast_np[local] = True
    reason = pc.if_else(pa.array(invalid), pa.scalar("invalid", ten.type), null)
    if has_ext:
        labelled = ext_np & fast_np & ~invalid
        reason = pc.if_else(pa.array(labelled), pa.scalar("extension", ten.type), reason)
    slow = ~fast_np & pc.is_valid(arr).to_numpy(zero_copy_only=False)
    if skip is not None:
        slow &= ~skip
    if slow.any():
        rest = pc.filter(arr, pa.array(slow)).to_pylist()
        verdicts = {v: _reference(v, region) for v in set(rest)}
        mask = pa.array(slow)
        e164 = pc.replace_with_mask(e164, mask, pa.array([verdicts[v][0] for v in rest], ten.type))
        reason = pc.replace_with_mask(
            reason, mask, pa.array([verdicts[v][1] for v in rest], ten.type)
        )
    e164 = pd.Series(pd.array(e164, dtype="str"), index=text.index, name=text.name)
    reason = pd.Series(pd.array(reason, dtype="str"), index=text.index)
    return text, e164, reason


def normalize_phones(values: Iterable[object] | pd.Series, region: str | None = "US") -> pd.Series:
    """E.164 strings (``+14155550123``), missing where libphonenumber finds no valid number.

    ``region`` is how numbers written without ``+`` are read (``"US"``, ``"CA"``, ``"GB"``...;
    ``None`` accepts only ``+`` numbers). A Series keeps its index. This is libphonenumber's
    answer exactly; Excel-damaged values are flagged by ``phone_problems`` (and rejected by
    ``ptdata.validate``) even when their digits happen to form a valid number.

    >>> normalize_phones(pd.Series(["415.555.0123", "+1 (415) 555-0187", "12"])).tolist()
    ['+14155550123', '+14155550187', nan]
    """
    return _analyse(values, region)[1]


def _excel_damage(text: pd.Series) -> pd.Series:
    """The Excel-damage code of each value (missing when undamaged)."""
    arr = pa.array(text.array)
    # Only values with a dot, comma, E or 15+ digits can be damaged: check those few in detail.
    maybe = np.flatnonzero(_matches(arr, r"[.,Ee]|[0-9]{15}").to_numpy(zero_copy_only=False))
    codes = np.full(len(arr), None, dtype=object)
    if len(maybe):
        sub = pc.take(arr, pa.array(maybe))
        for code, pattern in (
            ("excel_scientific", _SCIENTIFIC),
            ("excel_decimal", _DECIMAL),
            ("excel_truncated", _TRUNCATED),
        ):
            codes[maybe[_matches(sub, pattern).to_numpy(zero_copy_only=False)]] = code
    return pd.Series(codes, index=text.index, dtype="str")


def _problems(
    text: pd.Series, e164: pd.Series, reason: pd.Series, damage: pd.Series | None = None
) -> pd.Series:
    problems = _excel_damage(text) if damage is None else damage.copy()
    blank = pc.fill_null(pc.match_substring_regex(pa.array(text.array), r"^\s*$"), True)
    problems[blank.to_numpy(zero_copy_only=False)] = "missing"
    undecided = problems.isna() & (e164.isna() | (reason == "extension").fillna(False))
    problems[undecided] = reason[undecided]
    return problems


def phone_verdicts(
    values: Iterable[object] | pd.Series, region: str | None = "US"
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(text, E.164, problem) per value, as ``validate`` needs them, in one pass.

    E.164 is libphonenumber's answer where ``problem`` is missing; Excel-damaged values are
    not parsed at all (they are rejected whatever their digits say).
    """
    text = _as_text(values)
    damage = _excel_damage(text)
    _, e164, reason = _analyse(text, region, skip=damage.notna().to_numpy())
    return text, e164, _problems(text, e164, reason, damage)


def phone_problems(values: Iterable[object] | pd.Series, region: str | None = "US") -> pd.Series:
    """A reason code per value (see ``PHONE_REASONS``), missing where the number is fine.

    Excel damage is checked first, so ``4155550123.0`` is ``excel_decimal`` whatever
    libphonenumber makes of the digits; a number with an extension (``x101``, ``ext. 43``,
    ``;ext=5``, ``#22``) is ``extension``: a text reaches the line, never the extension.

    >>> phone_problems(["4155550123.0", "call me", "(415) 555-012", "+14155550123",
    ...                 "212-555-0101 x7"]).tolist()
    ['excel_decimal', 'not_a_number', 'invalid', nan, 'extension']
    """
    text, e164, reason = _analyse(values, region)
    return _problems(text, e164, reason)


def _digit_count(value: str) -> int:
    return sum(ch.isdigit() for ch in value)


_FAST_SHAPE_RE = re.compile(_NANP_SHAPE)
_EXTENSION_RE = re.compile(_EXTENSION.removeprefix("(?i)"), re.I)
_FAST_START_RE = re.compile(r"^[^0-9]*1?[^0-9]*[2-9]")
_LOCAL_SHAPE_RE = re.compile(_LOCAL_SHAPE)


def _invalid_detail(value: str, region: str | None) -> str:
    """Why libphonenumber rejects a value, in words (too short, too long, unknown country...)."""
    plus = value.lstrip().startswith("+")
    if (
        (plus or _plain_nanp_region(region))
        and _FAST_SHAPE_RE.match(value)
        and _FAST_START_RE.match(value)
    ):
        return _NANP_UNKNOWN  # +1 and ten digits that no +1 region has (decided by the fast path)
    if _plain_nanp_region(region) and _LOCAL_SHAPE_RE.match(value):
        return _LOCAL_DETAIL  # +1 and seven digits: libphonenumber says "possible only locally"
    return _verdict(value, region)[2] or "it is not a phone number"


def phone_problem_message(reason: str, value: object, region: str | None = "US") -> str:
    """What a user should do about one flagged value (a sentence for the failures report).

    >>> phone_problem_message("excel_scientific", "4.15555E+09")
    'Excel changed this number to scientific notation (4.15555E+09) and its digits are lost: format
    the Phone column as Text, re-enter the number from the source, and export again.'
    """
    shown = (
        ""
        if value is None or value is pd.NA or (isinstance(value, float) and value != value)
        else str(value)
    )
    if reason == "missing":
        return "No phone number: fill it in or delete the row."
    if reason == "excel_scientific":
        return (
            f"Excel changed this number to scientific notation ({shown}) and its digits are lost: "
            "format the Phone column as Text, re-enter the number from the source, "
            "and export again."
        )
    if reason == "excel_decimal":
        return (
            f"Excel treated this number as a decimal ({shown}): format the Phone column as Text, "
            "re-enter the number, and export again. ptdata does not guess which digits are real."
        )
    if reason == "excel_truncated":
        return (
            f"{_digit_count(shown)} digits ending in 0 ({shown}): Excel keeps only 15 digits and "
            "replaces the rest with zeros. Re-enter the number from the source as Text."
        )
    if reason == "not_a_number":
        return f"{shown!r} is not a phone number: write it like (415) 555-0123 or +14155550123."
    if reason == "extension":
        m = _EXTENSION_RE.match(shown)
        ext = m[2] if m else (_verdict(shown, region)[2] if shown else None)
        which = f" (extension {ext})" if ext else ""
        return (
            f"{shown!r} has an extension{which}: a text reaches the line, never the "
            "extension. Use the person's mobile number instead (a Mobile column is tried first)."
        )
    if reason == "invalid":
        detail = _invalid_detail(shown, region)
        abroad = (
            ""
            if "+" in shown or "add the area code" in detail
            else (" A number outside North America needs + and its country code.")
        )
        return f"{shown!r} is not a valid phone number: {detail}.{abroad}"
    return PHONE_REASONS.get(reason, reason)
