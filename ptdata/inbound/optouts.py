"""Who asked not to be texted: ``opt_outs(inbound)`` and ``suppression_list(source)``.

The rules, applied to each received message in time order (the latest decision per phone wins):

1. ``OptOutType`` is authoritative when present: ``STOP`` opts out, ``START`` re-subscribes,
   ``HELP`` asks for help (Power Textor/Twilio already acted on it).
2. The whole message is an opt-out keyword — STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
   REVOKE, OPTOUT — ignoring case, spaces and punctuation (``"Stop."``, ``" stop "``,
   ``"STOP!!"``, ``"opt-out"``, ``"stop stop"``): status ``opted_out``.
3. The whole message is START, YES or UNSTOP: ``resubscribed`` — but only after an opt-out or
   review for that phone (a "Yes" confirming an appointment changes nothing).
4. The whole message is HELP or INFO: ``help`` (only when the phone has no opt decision).
5. Otherwise a sentence that asks to stop *messages* is flagged ``review``:
   a stop verb (stop, quit, cease, end, halt) followed by a messaging word (texting, texts,
   messages, sending, contacting, sms, emails, calls, spam, this/these/it/them), possibly with
   filler between (``"please stop sending me these"``), unless negated (``"don't stop"``);
   explicit phrases anywhere (unsubscribe, opt me out, remove me, remove my number,
   take me off, delete my number, leave me alone, stop bothering/harassing me); a negated
   request to be contacted (``"don't text me"``, ``"no more messages"``,
   ``"I don't want these texts"``); or a keyword with only politeness around it
   (``"STOP please"``, ``"stop now thanks"``).
   ``"don't stop the music"``, ``"stop by Tuesday"``, ``"Thanks! See you Tuesday"`` are not.
   A later review never downgrades an ``opted_out``; only an opt-in keyword lifts either.

``review`` rows are suppressed by default (fail safe: a sentence like "please stop texting me"
is a revocation of consent by any reasonable means); ``include_review=False`` leaves them out
of the suppression list once a person has read them.

>>> import ptdata
>>> inbound = ptdata.load_inbound("sample_data/inbound_sms.jsonl")
>>> ptdata.opt_outs(inbound)[["phone", "status", "keyword"]]      # doctest: +SKIP
>>> "+14155550123" in ptdata.suppression_list(inbound)            # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ptdata.api.errors import UsageError

__all__ = [
    "OPT_IN_KEYWORDS",
    "OPT_OUT_KEYWORDS",
    "HELP_KEYWORDS",
    "STATUSES",
    "classify_reply",
    "opt_outs",
    "suppression_list",
]

logger = logging.getLogger("ptdata.inbound")

OPT_OUT_KEYWORDS = ("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout")
OPT_IN_KEYWORDS = ("start", "yes", "unstop")
HELP_KEYWORDS = ("help", "info")
STATUSES = ("opted_out", "resubscribed", "review", "help")
OPT_OUT_COLUMNS = ("phone", "status", "keyword", "reason", "received_at", "body")

_FILLER = {
    "please",
    "pls",
    "plz",
    "now",
    "thanks",
    "thank",
    "you",
    "thx",
    "ty",
    "asap",
    "it",
    "all",
    "me",
    "immediately",
    "already",
    "again",
    "ok",
    "okay",
    "sorry",
    "just",
}
_STOP_VERB = r"(?:stop|quit|cease|end|halt)"
_BETWEEN = (
    r"(?:me|all|the|these|those|this|your|ur|you|with|any|more|future|such|of|"
    r"marketing|promotional|promo|automated|annoying|stupid|damn|fucking|freaking)"
)
_MSG_OBJECT = (
    r"(?:text(?:s|ing|ed)?|txt(?:s|ing)?|msgs?|messag(?:e|es|ing)|sms|"
    r"send(?:ing)?|contact(?:ing)?|spam(?:ming)?|e-?mail(?:s|ing)?|call(?:s|ing)?|"
    r"this|these|those|it|them)"
)
_NEGATED_VERB = re.compile(
    r"\b(?:don'?t|do not|never|not|can'?t|cannot|didn'?t|doesn'?t)"
    r"\s+(?:ever\s+)?$"
)
_STOP_MESSAGES = re.compile(rf"\b{_STOP_VERB}(?:\s+{_BETWEEN})*\s+{_MSG_OBJECT}\b")
_PHRASES = re.compile(
    r"\b(?:unsubscribe|unsub|opt[\s-]*(?:me\s+)?out|remove\s+(?:me|my\s+(?:number|name|info|"
    r"phone|contact))|take\s+(?:me|my\s+number)\s+off|delete\s+my\s+(?:number|info|contact)|"
    r"leave\s+me\s+alone|stop\s+(?:bothering|harass\w*|bugging|pestering))\b"
)
_NEGATION = r"(?:do\s+not|don'?t|never|no\s+more|no\s+longer)"
_CONTACT_WORD = r"(?:text|txt|message|msg|contact|sms|e-?mail|call|send)\w*"
_MIDDLE = (
    r"(?:want|wish|need|like|to|me|receive|get|getting|any|more|these|those|your|ur|"
    r"ever|please|pls|plz|again|send|sending|want\s+to)"
)
_DONT_CONTACT = re.compile(rf"\b{_NEGATION}(?:\s+{_MIDDLE}){{0,4}}\s+{_CONTACT_WORD}\b")
#: Cheap pre-filter: a message with none of these stems cannot be classified.
_CANDIDATE = (
    r"stop|quit|cancel|end|revoke|opt|unsub|start|yes|help|info|remove|take|"
    r"delete|leave|text|txt|msg|messag|sms|contact|send|spam|halt|cease|mail|call"
)


def _words(body: str) -> tuple[str, list[str]]:
    text = unicodedata.normalize("NFKC", body).lower().replace("\u2019", "'").replace("`", "'")
    text = " ".join(text.split())
    return text, re.findall(r"[a-z']+", text)


@lru_cache(maxsize=65536)
def classify_reply(
    body: str | None, opt_out_type: str | None = None
) -> tuple[str | None, str | None, str]:
    """``(status, keyword, reason)`` for one message; status None when it decides nothing.

    >>> classify_reply("Stop.")
    ('opted_out', 'STOP', 'the whole message is the opt-out keyword STOP')
    >>> classify_reply("please stop texting me")[0]
    'review'
    >>> classify_reply("don't stop the music")
    (None, None, '')
    """
    oot = (opt_out_type or "").strip().upper()
    if oot in ("STOP", "START", "HELP"):
        status = {"STOP": "opted_out", "START": "resubscribed", "HELP": "help"}[oot]
        return status, oot, f"Power Textor marked it {oot} (OptOutType)"
    if not body or not body.strip():
        return None, None, ""
    text, tokens = _words(body)
    words = [t.strip("'") for t in tokens if t.strip("'")]
    joined = "".join(words)
    for keywords, status, what in (
        (OPT_OUT_KEYWORDS, "opted_out", "opt-out"),
        (OPT_IN_KEYWORDS, "resubscribed", "opt-in"),
        (HELP_KEYWORDS, "help", "help"),
    ):
        if words and (joined in keywords or all(w in keywords for w in words)):
            kw = (joined if joined in keywords else words[0]).upper()
            return status, kw, f"the whole message is the {what} keyword {kw}"
    for m in _STOP_MESSAGES.finditer(text):
        if not _NEGATED_VERB.search(text[: m.start()]):
            return "review", None, f'asks to stop messages in a sentence: "{m.group(0)}"'
    phrase = _PHRASES.search(text) or _DONT_CONTACT.search(text)
    if phrase:
        return "review", None, f'asks to stop messages in a sentence: "{phrase.group(0)}"'
    core = [w for w in words if w not in _FILLER]
    if len(core) == 1 and core[0] in OPT_OUT_KEYWORDS and len(words) <= 5:
        return (
            "review",
            core[0].upper(),
            (f'the keyword {core[0].upper()} with other words around it ("{text}")'),
        )
    if len(core) == 1 and core[0] in HELP_KEYWORDS and len(words) <= 4:
        return "help", core[0].upper(), f"the help keyword {core[0].upper()} with other words"
    return None, None, ""


def _normalise(values: pd.Series, region: str | None) -> pd.Series:
    from ptdata.sheets.phones import normalize_phones

    text = values.astype("str")
    cleaned = text.str.strip().str.lstrip("'\t")  # Excel-safe report cells: '+1415...
    return normalize_phones(cleaned, region=region)


def _text_col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype("str")
    return pd.Series(np.nan, index=frame.index, dtype="str")


def opt_outs(inbound: pd.DataFrame, *, region: str | None = "US") -> pd.DataFrame:
    """One row per phone that made an opt decision: phone, status, keyword, reason,
    received_at, body.

    ``status`` is ``opted_out``, ``review`` (a sentence asking to stop; suppressed by default),
    ``resubscribed`` or ``help``; see the module docstring for the exact rules. ``phone`` is
    E.164 (the raw ``From`` when it is not a valid number).

    >>> ptdata.opt_outs(ptdata.load_inbound("dumps/"))              # doctest: +SKIP
    """
    missing = [c for c in ("From",) if c not in inbound.columns]
    if missing:
        raise UsageError(
            "opt_outs needs an inbound frame with a 'From' column "
            f"(got {list(inbound.columns)[:8]});"
            " load dumps with ptdata.load_inbound"
        )
    body = _text_col(inbound, "Body")
    oot = _text_col(inbound, "OptOutType")
    when = (
        inbound["received_at"]
        if "received_at" in inbound.columns
        else pd.Series(pd.NaT, index=inbound.index, dtype="datetime64[us, UTC]")
    )
    arr_body = pa.array(body.array)
    candidate = pc.fill_null(pc.match_substring_regex(pc.utf8_lower(arr_body), _CANDIDATE), False)
    has_oot = pc.fill_null(
        pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(pa.array(oot.array))), 0), False
    )
    pick = np.flatnonzero(pc.or_(candidate, has_oot).to_numpy(zero_copy_only=False))
    if len(pick) == 0:
        return _empty()
    b = body.to_numpy(dtype=object, na_value=None)[pick]
    o = oot.to_numpy(dtype=object, na_value=None)[pick]
    verdicts = [classify_reply(x, y) for x, y in zip(b, o, strict=True)]
    status = np.array([v[0] for v in verdicts], dtype=object)
    hit = np.flatnonzero([v[0] is not None for v in verdicts])
    if len(hit) == 0:
        return _empty()
    rows = pick[hit]
    raw_from = inbound["From"].astype("str").iloc[rows].reset_index(drop=True)
    phone = _normalise(raw_from, region)
    phone = phone.where(phone.notna(), raw_from.str.strip())
    events = pd.DataFrame(
        {
            "phone": phone.to_numpy(dtype=object),
            "status": status[hit],
            "keyword": [verdicts[i][1] for i in hit],
            "reason": [verdicts[i][2] for i in hit],
            "received_at": when.iloc[rows].to_numpy(),
            "body": b[hit],
            "_order": rows,
        }
    )
    events = events[events["phone"].notna()]
    # undated rows (exports without a time) count as the oldest; ties keep file order
    events = events.sort_values(["received_at", "_order"], na_position="first", kind="stable")
    decided: dict[str, int] = {}
    state: dict[str, str] = {}
    for i, (ph, st) in enumerate(
        zip(events["phone"].to_numpy(), events["status"].to_numpy(), strict=True)
    ):
        cur = state.get(ph)
        if (
            st == "opted_out"
            or (st == "review" and cur != "opted_out")
            or st == "resubscribed"
            and cur in ("opted_out", "review")
            or st == "help"
            and cur is None
        ):
            new = st
        else:
            continue
        state[ph] = new
        decided[ph] = i
    out = events.iloc[sorted(decided.values())].drop(columns="_order")
    out = out.sort_values(["received_at", "phone"], na_position="first", kind="stable")
    return _typed(out.reset_index(drop=True))


def _empty() -> pd.DataFrame:
    return _typed(pd.DataFrame({c: [] for c in OPT_OUT_COLUMNS}))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[list(OPT_OUT_COLUMNS)].copy()
    for c in ("phone", "status", "keyword", "reason", "body"):
        out[c] = out[c].astype("str")
    out["received_at"] = pd.to_datetime(out["received_at"], utc=True).astype("datetime64[us, UTC]")
    return out


# -- the suppression list ---------------------------------------------------------------------

_PHONE_HEADERS = (
    "phone",
    "phone_number",
    "phonenumber",
    "number",
    "mobile",
    "cell",
    "msisdn",
    "e164",
    "from",
    "to",
    "contact",
    "telephone",
    "tel",
)


def suppression_list(source, *, include_review: bool = True, region: str | None = "US") -> set[str]:
    """The E.164 numbers never to text, from inbound data or a suppression file.

    ``source``: an inbound frame (``load_inbound``), an ``opt_outs`` frame, a dump path /
    folder / glob, a CSV or TXT suppression file with a phone column (any number format), a
    list of those, or phone numbers. Opted-out phones are included, and ``review`` phones too
    unless ``include_review=False``; re-subscribed and help-only phones are not.

    >>> ptdata.suppression_list("inbound.jsonl")                    # doctest: +SKIP
    {'+14155550123', ...}
    >>> ptdata.suppression_list("do_not_text.csv")                 # doctest: +SKIP
    """
    statuses = ("opted_out", "review") if include_review else ("opted_out",)
    if isinstance(source, pd.DataFrame):
        return _from_frame(source, statuses, region, "the frame")
    if isinstance(source, (str, os.PathLike)):
        return _from_paths([source], statuses, region)
    if isinstance(source, pd.Series):
        return _from_values(source, region, "the numbers given")
    if isinstance(source, Iterable):
        items = list(source)
        if items and all(isinstance(i, (str, os.PathLike)) and _is_path(i) for i in items):
            return _from_paths(items, statuses, region)
        return _from_values(pd.Series(items, dtype="str"), region, "the numbers given")
    raise UsageError(
        "suppression_list takes an inbound or opt_outs frame, a file, folder or glob, or phone"
        f" numbers, not {type(source).__name__}"
    )


def _is_path(item) -> bool:
    text = str(item)
    return Path(text).exists() or any(c in text for c in "*?[")


def _from_paths(items: list, statuses, region) -> set[str]:
    """Dumps and inbound exports are loaded together (a START in one lifts a STOP in
    another); any other CSV/TXT is a suppression list whose numbers are all excluded."""
    from ptdata.inbound.loader import load_inbound, resolve_paths

    dumps: list[Path] = []
    lists: list[Path] = []
    for f in resolve_paths(items):
        (lists if _is_number_list(f) else dumps).append(f)
    out: set[str] = set()
    if dumps:
        what = str(dumps[0]) if len(dumps) == 1 else f"{len(dumps)} dumps"
        out |= _from_frame(load_inbound(dumps), statuses, region, what)
    for f in lists:
        out |= _from_list_file(f, statuses, region)
    return out


def _is_number_list(path: Path) -> bool:
    """A CSV/TXT that is not an inbound export (no From with Body/OptOutType/SmsSid)."""
    from ptdata.inbound.readers import sniff_format

    if path.name.lower().endswith(".gz"):
        return False
    with open(path, "rb") as f:
        head = f.read(4096)
    if sniff_format(path.name, head) != "csv":
        return False
    first = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
    header = {h.strip() for h in re.split(r"[,;\t|]", first[0])} if first else set()
    return not ("From" in header and header & {"Body", "OptOutType", "SmsSid", "MessageSid"})


def _from_list_file(p: Path, statuses, region) -> set[str]:
    """A suppression file: one number per line, or a CSV with a phone column (an
    ``opt_outs`` CSV keeps only the statuses that suppress)."""
    from ptdata.inbound.readers import read_csv_text

    text = p.read_text(encoding="utf-8-sig", errors="replace")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and not any(d in lines[0] for d in ",;\t|"):
        if not any(ch.isdigit() for ch in lines[0]):
            lines = lines[1:]  # a header such as "phone"
        return _from_values(pd.Series(lines, dtype="str"), region, str(p))
    table = read_csv_text(p).table
    frame = table.to_pandas() if table is not None else pd.DataFrame()
    return _from_frame(frame, statuses, region, str(p))


def _from_frame(frame: pd.DataFrame, statuses, region, what: str) -> set[str]:
    cols = {c.lower(): c for c in frame.columns}
    if "phone" in cols and "status" in cols:
        st = frame[cols["status"]].astype("str").str.strip().str.lower()
        return _from_values(frame.loc[st.isin(statuses).to_numpy(), cols["phone"]], region, what)
    if "From" in frame.columns and ("Body" in frame.columns or "OptOutType" in frame.columns):
        decided = opt_outs(frame, region=region)
        keep = decided[decided["status"].isin(statuses)]
        return _from_values(keep["phone"], region, what)
    col = _phone_column(list(frame.columns))
    if col is None:
        raise UsageError(
            f"{what}: no phone column (looked for {', '.join(_PHONE_HEADERS[:6])}...); "
            "name the column 'phone'"
        )
    return _from_values(frame[col], region, what)


def _phone_column(columns: list) -> str | None:
    """The column holding phone numbers: 'phone', 'Mobile Number', 'cell', 'to'... ."""
    squashed = {re.sub(r"[^a-z0-9]", "", str(c).lower()): c for c in columns}
    for name in _PHONE_HEADERS:
        if name.replace("_", "") in squashed:
            return squashed[name.replace("_", "")]
    for stem in ("phone", "mobile", "cell", "msisdn", "tel"):
        for key, col in squashed.items():
            if stem in key:
                return col
    return columns[0] if len(columns) == 1 else None


def _from_values(values: pd.Series, region, what: str) -> set[str]:
    text = values.astype("str")
    present = text.notna() & (text.str.strip() != "")
    e164 = _normalise(text[present], region)
    bad = e164.isna().to_numpy()
    if bad.any():
        shown = ", ".join(repr(v) for v in text[present].to_numpy()[bad][:5])
        logger.warning(
            "%s: %d entr%s not a valid phone number and cannot be matched: %s",
            what,
            int(bad.sum()),
            "y is" if bad.sum() == 1 else "ies are",
            shown,
        )
    return set(e164.dropna().tolist())
