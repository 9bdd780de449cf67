"""SMS arithmetic against a table of vectors: boundaries, straddles, extension characters, emoji."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptdata import MessageTooLong, check_message, sms_segments
from ptdata.sheets.segments import (
    MAX_SEGMENTS,
    OPT_OUT_FOOTER,
    WARN_SEGMENTS,
    plain_punctuation,
    segments_frame,
)

EMOJI = "\N{GRINNING FACE}"  # outside the BMP: two UTF-16 units
CJK = "\u4f60"  # inside the BMP, not GSM-7: one unit


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        pytest.param("", "GSM-7", 0, 0, id="empty"),
        pytest.param("Hello", "GSM-7", 5, 1, id="short"),
        pytest.param("x" * 160, "GSM-7", 160, 1, id="gsm-160-one"),
        pytest.param("x" * 161, "GSM-7", 161, 2, id="gsm-161-two"),
        pytest.param("x" * 306, "GSM-7", 306, 2, id="gsm-306-two"),
        pytest.param("x" * 307, "GSM-7", 307, 3, id="gsm-307-three"),
        pytest.param("€" * 80, "GSM-7", 160, 1, id="80-euro-one-segment"),
        pytest.param("€" * 81, "GSM-7", 162, 2, id="81-euro-two-segments"),
        pytest.param("€" * 152, "GSM-7", 304, 2, id="152-euro-76-per-segment"),
        pytest.param("€" * 153, "GSM-7", 306, 3, id="153-euro-escape-never-split"),
        pytest.param("x" * 152 + "€" + "x" * 152, "GSM-7", 306, 3, id="extension-straddles-153"),
        pytest.param("x" * 151 + "€" + "x" * 153, "GSM-7", 306, 2, id="extension-fits-before-153"),
        pytest.param("^{}\\[~]|€", "GSM-7", 18, 1, id="every-extension-char"),
        pytest.param(
            "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà¡¤", "GSM-7", 42, 1, id="gsm-accents"
        ),
        pytest.param("ç", "UCS-2", 1, 1, id="lowercase-c-cedilla-is-not-gsm"),
        pytest.param(CJK * 70, "UCS-2", 70, 1, id="ucs2-70-one"),
        pytest.param(CJK * 71, "UCS-2", 71, 2, id="ucs2-71-two"),
        pytest.param(CJK * 134, "UCS-2", 134, 2, id="ucs2-134-two"),
        pytest.param(CJK * 135, "UCS-2", 135, 3, id="ucs2-135-three"),
        pytest.param(EMOJI * 35, "UCS-2", 70, 1, id="35-emoji-fill-one"),
        pytest.param(EMOJI * 36, "UCS-2", 72, 2, id="36-emoji-two"),
        pytest.param(EMOJI * 67, "UCS-2", 134, 3, id="67-emoji-33-per-segment"),
        pytest.param(
            CJK * 66 + EMOJI + CJK * 66, "UCS-2", 134, 3, id="surrogate-pair-straddles-67"
        ),
        pytest.param(
            CJK * 65 + EMOJI + CJK * 67, "UCS-2", 134, 2, id="surrogate-pair-fits-before-67"
        ),
        pytest.param("Hi Ana " + "\N{PARTY POPPER}", "UCS-2", 9, 1, id="one-emoji-makes-all-ucs2"),
        pytest.param("x" * 159 + "€", "GSM-7", 161, 2, id="extension-pushes-over-160"),
    ],
)
def test_segment_vectors(text, encoding, units, segments):
    info = sms_segments(text)
    assert (info.encoding, info.units, info.segments) == (encoding, units, segments)
    assert info.chars == len(text)


def test_the_chars_that_forced_ucs2_are_listed_once_in_order():
    info = sms_segments("Café ☕ ‘hi’ ☕ 你")
    assert info.ucs2_chars == ("☕", "‘", "’", "你")
    assert sms_segments("Café").ucs2_chars == ()


def test_the_opt_out_footer_counts():
    text = "x" * (160 - len(OPT_OUT_FOOTER) + 1)
    assert sms_segments(text).segments == 1
    info = sms_segments(text, opt_out_footer=True)
    assert (info.units, info.segments, info.chars) == (161, 2, len(text) + len(OPT_OUT_FOOTER))
    assert OPT_OUT_FOOTER == "\nReply STOP to opt out"


def test_a_footer_on_a_ucs2_message_is_counted_in_utf16_units():
    info = sms_segments(EMOJI, opt_out_footer=True)
    assert (info.encoding, info.units) == ("UCS-2", 2 + len(OPT_OUT_FOOTER))


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        pytest.param(
            "Don’t miss our sale: 20% off everything in store today and tomorrow only – see you "
            "there…",
            "Smart punctuation (’ – …) forces UCS-2 (2 segments); with plain quotes, dashes and "
            "dots "
            "it is GSM-7: 1 segment, saving 1.",
            id="saves-a-segment",
        ),
        pytest.param(
            "It’s ready",
            "Smart punctuation (’) forces UCS-2 (1 segment); with plain quotes, dashes "
            "and dots it is GSM-7: still 1 segment, but 160 characters per message instead of 70.",
            id="same-segments",
        ),
        pytest.param("It’s ready " + EMOJI, None, id="emoji-stays-ucs2"),
        pytest.param("It's ready", None, id="already-gsm"),
    ],
)
def test_the_smart_punctuation_hint(text, hint):
    assert sms_segments(text).hint == hint


def test_plain_punctuation_swaps_what_word_processors_put_in():
    assert plain_punctuation("“Hi” – it’s… ready\u00a0now") == '"Hi" - it\'s... ready now'


def test_check_message_refuses_above_ten_segments_unless_forced():
    assert check_message("x" * 1530).segments == MAX_SEGMENTS
    with pytest.raises(MessageTooLong) as err:
        check_message("x" * 1531)
    assert str(err.value) == (
        "The message is too long: 11 segments (the limit is 10), GSM-7. Shorten it, or pass "
        "force=True (--force) to send it anyway; each recipient is billed 11 messages."
    )
    assert err.value.info.segments == 11
    assert check_message("x" * 1531, force=True).segments == 11
    with pytest.raises(MessageTooLong, match="1601 characters"):
        check_message("x" * 1601)
    with pytest.raises(MessageTooLong):
        check_message("x" * 1520, opt_out_footer=True)  # the footer tips it over


def test_more_than_three_segments_is_worth_a_warning():
    assert WARN_SEGMENTS == 3
    assert not sms_segments("x" * 459).warn
    assert sms_segments("x" * 460).warn


BODIES = [
    "Hi Ana",
    "",
    "x" * 161,
    "€" * 81,
    "x" * 152 + "€" + "x" * 152,
    "Hi Zoë 🎉",
    CJK * 71,
    EMOJI * 67,
    "It’s ready",
    "ç",
]


@pytest.mark.parametrize(
    "footer", [pytest.param(False, id="no-footer"), pytest.param(True, id="footer")]
)
def test_segments_frame_matches_sms_segments_row_by_row(footer):
    bodies = pd.Series(BODIES + [None], index=range(100, 100 + len(BODIES) + 1))
    frame = segments_frame(bodies, opt_out_footer=footer)
    assert list(frame.columns) == ["encoding", "units", "segments", "chars"]
    assert frame.index.tolist() == bodies.index.tolist()
    expected = [sms_segments(b or "", opt_out_footer=footer) for b in BODIES + [None]]
    assert frame["encoding"].tolist() == [e.encoding for e in expected]
    assert frame["units"].tolist() == [e.units for e in expected]
    assert frame["segments"].tolist() == [e.segments for e in expected]
    assert frame["chars"].tolist() == [e.chars for e in expected]
    assert [str(frame[c].dtype) for c in frame.columns] == ["str", "int64", "int64", "int64"]


_ALPHABET = st.sampled_from(
    list("abcXYZ 019.,!?\n") + list("€^{}[]~|\\") + ["é", "ç", "’", CJK, EMOJI]
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(_ALPHABET, max_size=400).map("".join), min_size=1, max_size=8), st.booleans()
)
def test_segments_frame_agrees_with_sms_segments(bodies, footer):
    frame = segments_frame(pd.Series(bodies), opt_out_footer=footer)
    expected = [sms_segments(b, opt_out_footer=footer) for b in bodies]
    assert frame["segments"].tolist() == [e.segments for e in expected]
    assert frame["units"].tolist() == [e.units for e in expected]
    assert frame["encoding"].tolist() == [e.encoding for e in expected]
