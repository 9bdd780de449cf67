"""Local-time scheduling: one wall-clock time, each recipient's UTC strings."""

from datetime import datetime

import pandas as pd
import pytest

from ptdata import UsageError
from ptdata.api.formats import parse_date_string, parse_time_string
from ptdata.timing import local_schedule, resolve_timezones

NY, LA, CHI = "America/New_York", "America/Los_Angeles", "America/Chicago"


@pytest.mark.parametrize(
    "wall, zone, date, time, utc, note",
    [
        pytest.param(
            datetime(2026, 12, 3, 10, 0),
            NY,
            "12/03/2026",
            "03:00 PM",
            "2026-12-03 15:00",
            None,
            id="new-york-winter",
        ),
        pytest.param(
            datetime(2026, 12, 3, 10, 0),
            LA,
            "12/03/2026",
            "06:00 PM",
            "2026-12-03 18:00",
            None,
            id="los-angeles-winter",
        ),
        pytest.param(
            datetime(2026, 7, 1, 10, 0),
            NY,
            "07/01/2026",
            "02:00 PM",
            "2026-07-01 14:00",
            None,
            id="new-york-summer",
        ),
        pytest.param(
            datetime(2026, 12, 3, 20, 0),
            LA,
            "12/04/2026",
            "04:00 AM",
            "2026-12-04 04:00",
            None,
            id="los-angeles-evening-is-tomorrow-in-utc",
        ),
        # Spring forward, Sunday 03/08/2026: 02:00-02:59 does not exist.
        pytest.param(
            datetime(2026, 3, 8, 1, 59),
            NY,
            "03/08/2026",
            "06:59 AM",
            "2026-03-08 06:59",
            None,
            id="spring-forward-just-before",
        ),
        pytest.param(
            datetime(2026, 3, 8, 2, 30),
            NY,
            "03/08/2026",
            "07:00 AM",
            "2026-03-08 07:00",
            "02:30 does not exist on 03/08/2026 in America/New_York (clocks spring "
            "forward); using 03:00 EDT, the first valid time after the gap",
            id="spring-forward-gap-moves-to-0300",
        ),
        pytest.param(
            datetime(2026, 3, 8, 10, 0),
            NY,
            "03/08/2026",
            "02:00 PM",
            "2026-03-08 14:00",
            None,
            id="spring-forward-day-morning",
        ),
        pytest.param(
            datetime(2026, 3, 8, 10, 0),
            LA,
            "03/08/2026",
            "05:00 PM",
            "2026-03-08 17:00",
            None,
            id="spring-forward-day-los-angeles",
        ),
        # Fall back, Sunday 11/01/2026: 01:00-01:59 happens twice; the first (EDT) is used.
        pytest.param(
            datetime(2026, 11, 1, 1, 30),
            NY,
            "11/01/2026",
            "05:30 AM",
            "2026-11-01 05:30",
            "01:30 happens twice on 11/01/2026 in America/New_York (clocks fall back); "
            "using the first, 01:30 EDT",
            id="fall-back-first-occurrence",
        ),
        pytest.param(
            datetime(2026, 11, 1, 10, 0),
            NY,
            "11/01/2026",
            "03:00 PM",
            "2026-11-01 15:00",
            None,
            id="fall-back-day-morning",
        ),
        pytest.param(
            datetime(2026, 11, 1, 10, 0),
            "America/Phoenix",
            "11/01/2026",
            "05:00 PM",
            "2026-11-01 17:00",
            None,
            id="phoenix-has-no-dst",
        ),
    ],
)
def test_local_time_vectors(wall, zone, date, time, utc, note):
    out = local_schedule(wall, pd.Series([zone])).iloc[0]
    assert (out["ScheduledDate"], out["ScheduledTime"]) == (date, time)
    assert out["send_at_utc"] == pd.Timestamp(utc, tz="UTC")
    assert (None if pd.isna(out["note"]) else out["note"]) == note


def test_new_york_and_los_angeles_numbers_same_local_time_differ_in_utc():
    frame = pd.DataFrame({"Phone": ["+12125550123", "+13105550123", "+12125550199"]})
    zones = resolve_timezones(frame)
    out = local_schedule(datetime(2026, 12, 3, 10, 0), zones["tz"])
    assert out[["ScheduledDate", "ScheduledTime"]].values.tolist() == [
        ["12/03/2026", "03:00 PM"],
        ["12/03/2026", "06:00 PM"],
        ["12/03/2026", "03:00 PM"],
    ]


def test_strings_decode_back_to_the_instant():
    walls = pd.Series(pd.date_range("2026-03-07 22:00", "2026-03-09 04:00", freq="37min"))
    zones = pd.Series([NY, LA, CHI] * len(walls))[: len(walls)].reset_index(drop=True)
    out = local_schedule(walls, zones)
    for _, row in out.iterrows():
        decoded = datetime.combine(
            parse_date_string(row["ScheduledDate"]), parse_time_string(row["ScheduledTime"])
        )
        assert decoded == row["send_at_utc"].to_pydatetime()


def test_per_row_times_and_missing_zone_or_time():
    walls = pd.Series(
        [datetime(2026, 12, 3, 9, 0), datetime(2026, 12, 3, 9, 0), pd.NaT], index=[5, 6, 7]
    )
    out = local_schedule(walls, pd.Series([CHI, None, NY], index=[5, 6, 7]))
    assert list(out.index) == [5, 6, 7]
    assert out["ScheduledTime"].tolist()[0] == "03:00 PM"
    assert out["send_at_utc"].isna().tolist() == [False, True, True]
    assert out["note"].tolist()[1:] == ["no time zone for this row", "no local time for this row"]


def test_seconds_are_cut_to_the_minute_power_textor_schedules():
    out = local_schedule(datetime(2026, 12, 3, 10, 0, 45), pd.Series([NY])).iloc[0]
    assert out["send_at_utc"] == pd.Timestamp("2026-12-03 15:00", tz="UTC")


@pytest.mark.parametrize(
    "moment, zones, message",
    [
        pytest.param(
            datetime(2026, 12, 3, 10, 0, tzinfo=datetime.now().astimezone().tzinfo),
            [NY],
            "already has a time zone",
            id="aware-moment",
        ),
        pytest.param(
            datetime(2026, 12, 3, 10, 0),
            ["Eastern"],
            "'Eastern' is not an IANA name",
            id="bad-zone",
        ),
        pytest.param(42, [NY], "must be a naive datetime", id="not-a-time"),
        pytest.param(
            datetime(2026, 12, 3, 10, 0),
            [f"{NY};{CHI}"],
            r"it lists several zones: schedule with resolve_timezones\(\)\['tz'\]",
            id="check-zones-passed-by-mistake",
        ),
    ],
)
def test_usage_errors(moment, zones, message):
    with pytest.raises(UsageError, match=message):
        local_schedule(moment, pd.Series(zones))
