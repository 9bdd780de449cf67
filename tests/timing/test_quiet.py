"""Quiet hours in the recipient's local time, with stricter state windows."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from ptdata import UsageError
from ptdata.timing import QuietHours, apply_quiet_hours, local_schedule, resolve_timezones
from ptdata.timing.quiet import STATE_WINDOWS

NY, LA, CHI = "America/New_York", "America/Los_Angeles", "America/Chicago"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def utc(text):
    return pd.Timestamp(text, tz="UTC")


def check(at, zones, state=None, quiet=None, policy="shift", now=NOW):
    out = apply_quiet_hours(
        pd.Series([at], dtype="datetime64[us, UTC]"),
        pd.Series([zones]),
        quiet,
        policy=policy,
        states=pd.Series([state]),
        now=now,
    )
    row = out.iloc[0]
    reason = None if pd.isna(row["skip_reason"]) else row["skip_reason"]
    return row["send_at_utc"], bool(row["shifted"]), reason


@pytest.mark.parametrize(
    "at, zones, state, expected, shifted",
    [
        # 20:30 in Miami on Thursday 12/03/2026 is 01:30 UTC on 12/04.
        pytest.param(
            "2026-12-04 01:30",
            NY,
            "FL",
            "2026-12-04 13:00",
            True,
            id="florida-2030-blocked-moves-to-0800-next-day",
        ),
        pytest.param(
            "2026-12-04 01:30", NY, "NY", "2026-12-04 01:30", False, id="new-york-2030-allowed"
        ),
        pytest.param("2026-12-04 01:59", NY, None, "2026-12-04 01:59", False, id="2059-allowed"),
        pytest.param(
            "2026-12-04 02:00",
            NY,
            None,
            "2026-12-04 13:00",
            True,
            id="2100-exactly-is-after-the-window",
        ),
        pytest.param(
            "2026-12-03 15:00",
            LA,
            None,
            "2026-12-03 16:00",
            True,
            id="los-angeles-0700-moves-to-0800-same-day",
        ),
        pytest.param(
            "2026-12-03 16:00", LA, "CA", "2026-12-03 16:00", False, id="0800-exactly-allowed"
        ),
        # Texas: 09:00-21:00 Monday-Saturday, 12:00-21:00 Sunday.
        pytest.param(
            "2026-12-05 14:30",
            CHI,
            "TX",
            "2026-12-05 15:00",
            True,
            id="texas-saturday-0830-moves-to-0900",
        ),
        pytest.param(
            "2026-12-06 15:30",
            CHI,
            "TX",
            "2026-12-06 18:00",
            True,
            id="texas-sunday-0930-moves-to-noon",
        ),
        pytest.param(
            "2026-12-06 03:30",
            CHI,
            "TX",
            "2026-12-06 18:00",
            True,
            id="texas-saturday-2130-moves-to-sunday-noon",
        ),
        pytest.param(
            "2026-12-04 01:30",
            f"{NY};{CHI}",
            "FL",
            "2026-12-04 14:00",
            True,
            id="two-zones-wait-for-the-later-morning",
        ),
        pytest.param(
            "2026-12-03 13:30",
            f"{NY};{CHI}",
            None,
            "2026-12-03 14:00",
            True,
            id="two-zones-0830-eastern-is-0730-central",
        ),
        # DST days: 08:00 local is 12:00 UTC after spring forward, 13:00 UTC after fall back.
        pytest.param(
            "2026-03-08 11:30", NY, None, "2026-03-08 12:00", True, id="spring-forward-day-0730-edt"
        ),
        pytest.param(
            "2026-11-01 12:30", NY, None, "2026-11-01 13:00", True, id="fall-back-day-0730-est"
        ),
        pytest.param(
            "2026-11-01 05:30", NY, None, "2026-11-01 13:00", True, id="fall-back-night-0130-edt"
        ),
    ],
)
def test_quiet_hour_vectors(at, zones, state, expected, shifted):
    assert check(utc(at), zones, state) == (utc(expected), shifted, None)


def test_florida_number_at_2030_local_is_blocked_end_to_end():
    frame = pd.DataFrame({"Phone": ["+13055550123", "+12125550123"]})  # Miami, New York
    zones = resolve_timezones(frame)
    when = local_schedule(datetime(2026, 12, 3, 20, 30), zones["tz"])
    skipped = apply_quiet_hours(
        when["send_at_utc"],
        zones["check_zones"],
        QuietHours(),
        policy="skip",
        states=zones["state"],
        now=NOW,
    )
    assert skipped["skip_reason"].tolist()[0] == "quiet_hours"
    assert pd.isna(skipped["skip_reason"].tolist()[1])
    moved = apply_quiet_hours(
        when["send_at_utc"], zones["check_zones"], QuietHours(), states=zones["state"], now=NOW
    )
    assert moved["send_at_utc"].tolist() == [utc("2026-12-04 13:00"), utc("2026-12-04 01:30")]
    assert moved["quiet_window"].tolist() == ["08:00-20:00 (FL)", "08:00-21:00"]


@pytest.mark.parametrize(
    "rule, at, expected",
    [
        # 850 read at area-code precision: Eastern and Central. 08:30 Eastern = 07:30 Central.
        pytest.param(
            "strictest",
            "2026-12-03 13:30",
            ("2026-12-03 14:00", True, None),
            id="strictest-waits-for-0800-central",
        ),
        pytest.param(
            "first",
            "2026-12-03 13:30",
            ("2026-12-03 13:30", False, None),
            id="first-checks-eastern-only",
        ),
        pytest.param(
            "skip",
            "2026-12-03 13:30",
            (None, False, "unknown_timezone"),
            id="skip-has-no-zone-to-send-in",
        ),
    ],
)
def test_850_number_follows_the_rule(rule, at, expected):
    zones = resolve_timezones(
        pd.DataFrame({"Phone": ["+18502001234"]}), rule=rule, precision="area_code"
    )
    got = check(utc(at), zones["check_zones"][0], zones["state"][0])
    want_at = utc(at) if expected[0] is None else utc(expected[0])
    assert got == (want_at, expected[1], expected[2])
    if rule == "skip":
        assert zones["skip_reason"][0] == "ambiguous_timezone"


def test_skip_policy_leaves_the_time_and_gives_the_reason():
    assert check(utc("2026-12-04 01:30"), NY, "FL", policy="skip") == (
        utc("2026-12-04 01:30"),
        False,
        "quiet_hours",
    )


def test_send_now_is_checked_at_the_injected_clock():
    at = pd.Series([pd.NaT, pd.NaT], dtype="datetime64[us, UTC]")
    zones = pd.Series([NY, LA])
    now = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 09:00 New York, 06:00 LA
    out = apply_quiet_hours(at, zones, now=now)
    assert pd.isna(out["send_at_utc"][0]) and not out["shifted"][0]  # goes now
    assert out["send_at_utc"][1] == utc("2026-12-03 16:00") and out["shifted"][1]
    clock_calls = []
    out = apply_quiet_hours(at, zones, now=lambda: clock_calls.append(1) or now)
    assert clock_calls == [1] and out["shifted"].tolist() == [False, True]


def test_window_start_in_a_dst_gap_moves_past_it():
    quiet = QuietHours(start=time(2, 30), end=time(22, 0), state_windows=None)
    assert check(utc("2026-03-08 05:00"), NY, quiet=quiet) == (
        utc("2026-03-08 07:00"),
        True,
        None,
    )  # 00:00 EST -> 03:00 EDT


def test_no_common_window_is_skipped_even_when_shifting():
    quiet = QuietHours(start=time(8), end=time(10), state_windows=None)
    assert check(utc("2026-12-03 15:00"), f"{NY};{LA}", quiet=quiet) == (
        utc("2026-12-03 15:00"),
        False,
        "quiet_hours",
    )


def test_state_table_can_be_turned_off_and_base_window_configured():
    quiet = QuietHours(start=time(9), end=time(20, 30), state_windows=None)
    assert check(utc("2026-12-04 01:15"), NY, "FL", quiet=quiet) == (
        utc("2026-12-04 01:15"),
        False,
        None,
    )  # 20:15 in Florida
    assert check(utc("2026-12-03 13:30"), NY, "FL", quiet=quiet) == (
        utc("2026-12-03 14:00"),
        True,
        None,
    )  # 08:30 -> 09:00


def test_unknown_zone_is_not_sent_blind():
    assert check(utc("2026-12-03 15:00"), None) == (
        utc("2026-12-03 15:00"),
        False,
        "unknown_timezone",
    )


def test_describe_the_windows():
    quiet = QuietHours()
    assert [quiet.describe(s) for s in ("FL", "TX", "NY", None)] == [
        "08:00-20:00 (FL)",
        "09:00-21:00, Sun 12:00-21:00 (TX)",
        "08:00-21:00",
        "08:00-21:00",
    ]
    assert sorted(STATE_WINDOWS) == ["FL", "MD", "OK", "TX", "WA"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        pytest.param({"start": time(21), "end": time(8)}, "must be before end", id="inverted"),
        pytest.param({"start": "08:00"}, "must be a local time of day", id="text"),
    ],
)
def test_bad_windows(kwargs, message):
    with pytest.raises(UsageError, match=message):
        QuietHours(**kwargs)


def test_naive_instants_are_refused():
    with pytest.raises(UsageError, match="time-zone-aware instants"):
        apply_quiet_hours(pd.Series([pd.Timestamp("2026-12-03 10:00")]), pd.Series([NY]))


def _reference(at, zones, state, quiet):
    """Brute force: step minute by minute until the local time is allowed in every zone."""
    start, end = quiet.week(state)
    moment = at
    for _ in range(4 * 24 * 60):
        ok = True
        for zone in zones:
            local = moment.astimezone(ZoneInfo(zone))
            minute = local.hour * 60 + local.minute
            wd = local.weekday()
            ok &= bool(start[wd] <= minute < end[wd])
        if ok:
            return moment
        moment += timedelta(minutes=1)
    return None


def test_agrees_with_minute_by_minute_brute_force():
    rng = np.random.default_rng(7)
    choices = [
        NY,
        LA,
        CHI,
        "America/Phoenix",
        "Pacific/Honolulu",
        f"{NY};{CHI}",
        "America/Anchorage;America/Adak",
    ]
    base = datetime(2026, 3, 6, tzinfo=UTC)
    instants = [base + timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 250, 300)]
    instants += [datetime(2026, 3, 8, h, m, tzinfo=UTC) for h in range(24) for m in (0, 45)]
    zones = [choices[i] for i in rng.integers(0, len(choices), len(instants))]
    states = [[None, "FL", "TX", "OK"][i] for i in rng.integers(0, 4, len(instants))]
    quiet = QuietHours()
    out = apply_quiet_hours(
        pd.Series(instants, dtype="datetime64[us, UTC]"),
        pd.Series(zones),
        quiet,
        states=pd.Series(states),
        now=NOW,
    )
    expected = [
        _reference(a, z.split(";"), s, quiet)
        for a, z, s in zip(instants, zones, states, strict=True)
    ]
    assert [t.to_pydatetime() for t in out["send_at_utc"]] == expected
    assert out["shifted"].tolist() == [e != a for e, a in zip(expected, instants, strict=True)]


def test_lists_line_up_by_position_with_the_sheet_rows():
    at = pd.Series([utc("2026-12-04 01:30"), utc("2026-12-04 01:30")], index=[5, 9])
    out = apply_quiet_hours(at, [NY, NY], states=["FL", "NY"], now=NOW)
    assert list(out.index) == [5, 9]
    assert out["send_at_utc"].tolist() == [utc("2026-12-04 13:00"), utc("2026-12-04 01:30")]


def test_a_send_and_a_reminder_moved_by_quiet_hours_say_so_in_the_same_words():
    """One quiet-hours pipeline: a local-time send and an appointment reminder that both land
    at 07:00 in Chicago are moved to 08:00 and carry the same note."""
    import ptdata

    sheet = pd.DataFrame({"Phone": ["+13125550123"], "Appointment": ["2026-12-08 09:00"]})
    now = datetime(2026, 11, 1, tzinfo=UTC)
    send = ptdata.plan(sheet, body="Hi", to="contacts", local_at="2026-12-08 07:00", now=now)
    reminder = ptdata.plan(
        sheet,
        body="See you at 9",
        kind="reminder",
        to="new-contacts",
        appointments="Appointment",
        offsets=["same day 2 hours before"],
        now=now,
    )
    expected = (
        "quiet hours 08:00-21:00: moved from 12/08 07:00 to 12/08 08:00 CST (America/Chicago)"
    )
    assert send.frame.loc[0, "note"] == reminder.frame.loc[0, "note"] == expected
    assert str(send.frame.loc[0, "scheduled_for"]) == "2026-12-08 14:00:00+00:00"
    assert str(reminder.frame.loc[0, "scheduled_for"]) == "2026-12-08 14:00:00+00:00"
