"""The pure review schedule: calendar slots, cron in a time zone, completion anchoring, lateness."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from control_catalog import parse_cadence
from workflows.review_schedule import (
    Anchor,
    LastReview,
    LateRule,
    add_months,
    calendar_slot,
    review_schedule,
)

UTCZ = ZoneInfo("UTC")
NY = ZoneInfo("America/New_York")


def _at(*args: int, tz: ZoneInfo = UTCZ) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


def _slot(cadence: str, moment: datetime, tz: ZoneInfo = UTCZ) -> tuple[date, date]:
    period = calendar_slot(parse_cadence(cadence), tz, moment)
    return period.start, period.due


def test_calendar_slots_across_month_ends_quarters_and_leap_day() -> None:
    assert _slot("monthly", _at(2028, 2, 29, 23)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert _slot("monthly", _at(2027, 2, 28)) == (date(2027, 2, 1), date(2027, 2, 28))
    assert _slot("monthly", _at(2026, 12, 31, 23, 59)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert _slot("quarterly", _at(2026, 3, 31, 23)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert _slot("quarterly", _at(2026, 4, 1)) == (date(2026, 4, 1), date(2026, 6, 30))
    assert _slot("quarterly", _at(2026, 12, 1)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert _slot("annual", _at(2028, 2, 29)) == (date(2028, 1, 1), date(2028, 12, 31))
    assert _slot("weekly", _at(2026, 11, 22)) == (date(2026, 11, 16), date(2026, 11, 22))
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)


def test_the_time_zone_decides_the_day_across_dst() -> None:
    # 2026-03-09 03:30 UTC is still Sunday 8 March in New York (EDT began that morning)
    assert _slot("weekly", _at(2026, 3, 9, 3, 30), NY) == (date(2026, 3, 2), date(2026, 3, 8))
    assert _slot("weekly", _at(2026, 3, 9, 4, 30), NY) == (date(2026, 3, 9), date(2026, 3, 15))
    # 2026-11-01 04:30 UTC is 00:30 EDT on 1 November: November in New York, October in UTC
    assert _slot("monthly", _at(2026, 11, 1, 4, 30), NY)[0] == date(2026, 11, 1)
    assert _slot("monthly", _at(2026, 11, 1, 3, 30), NY)[0] == date(2026, 10, 1)


def test_cron_fires_in_the_time_zone_across_dst() -> None:
    cadence = parse_cadence("cron: 0 9 * * mon")  # Mondays 09:00 New York
    before = calendar_slot(cadence, NY, _at(2026, 3, 5, 12))
    assert before.opens_at == _at(2026, 3, 2, 14)  # EST: UTC-5
    assert (before.start, before.due) == (date(2026, 3, 2), date(2026, 3, 8))
    after = calendar_slot(cadence, NY, _at(2026, 3, 9, 13, 30))
    assert after.opens_at == _at(2026, 3, 9, 13)  # EDT: UTC-4
    assert after.key == "2026-03-09T09:00"
    schedule = review_schedule(
        cadence=cadence,
        anchor=Anchor.CALENDAR,
        late=LateRule.KEEP_SCHEDULE,
        tz=NY,
        last=LastReview(before.opens_at, before.due, datetime(2026, 3, 4, tzinfo=UTC)),
        now=_at(2026, 3, 9, 12, 59),
    )
    assert schedule.current is None and schedule.next == after


def _run(
    cadence: str,
    anchor: Anchor,
    late: LateRule,
    last: LastReview | None,
    now: datetime,
    tz: ZoneInfo = UTCZ,
) -> tuple[tuple[date, date] | None, tuple[date, date] | None]:
    s = review_schedule(
        cadence=parse_cadence(cadence), anchor=anchor, late=late, tz=tz, last=last, now=now
    )
    return (
        (s.current.start, s.current.due) if s.current else None,
        (s.next.start, s.next.due) if s.next else None,
    )


CAL, DONE = Anchor.CALENDAR, Anchor.COMPLETION
KEEP, SHIFT = LateRule.KEEP_SCHEDULE, LateRule.SHIFT
Q1 = LastReview(_at(2026, 1, 1), date(2026, 3, 31))


def test_first_review_is_the_calendar_period_and_next_quarter_follows() -> None:
    assert _run("quarterly", CAL, KEEP, None, _at(2026, 2, 10)) == (
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
    )


def test_calendar_keep_schedule_opens_the_next_slot_even_while_the_last_is_open() -> None:
    assert _run("quarterly", CAL, KEEP, Q1, _at(2026, 3, 31, 23))[0] is None
    assert _run("quarterly", CAL, KEEP, Q1, _at(2026, 4, 1))[0] == (
        date(2026, 4, 1),
        date(2026, 6, 30),
    )
    late = LastReview(Q1.opens_at, Q1.due, _at(2026, 5, 20))
    assert _run("quarterly", CAL, KEEP, late, _at(2026, 5, 21))[0] == (
        date(2026, 4, 1),
        date(2026, 6, 30),
    )
    # missed periods are skipped: the period containing now opens
    assert _run("quarterly", CAL, KEEP, Q1, _at(2026, 11, 2))[0] == (
        date(2026, 10, 1),
        date(2026, 12, 31),
    )


def test_calendar_shift_waits_for_a_late_review_and_counts_from_its_completion() -> None:
    current, following = _run("quarterly", CAL, SHIFT, Q1, _at(2026, 4, 2))
    assert current is None and following is None
    late = LastReview(Q1.opens_at, Q1.due, _at(2026, 4, 20, 15))
    assert _run("quarterly", CAL, SHIFT, late, _at(2026, 4, 21)) == (
        (date(2026, 4, 21), date(2026, 7, 20)),
        (date(2026, 7, 21), date(2026, 10, 20)),
    )
    on_time = LastReview(Q1.opens_at, Q1.due, _at(2026, 3, 30))
    assert _run("quarterly", CAL, SHIFT, on_time, _at(2026, 4, 1))[0] == (
        date(2026, 4, 1),
        date(2026, 6, 30),
    )


def test_completion_anchoring_counts_from_completion_through_a_leap_day() -> None:
    last = LastReview(_at(2028, 1, 1), date(2028, 1, 31), _at(2028, 1, 29, 10))
    current, following = _run("monthly", DONE, SHIFT, last, _at(2028, 1, 29, 11))
    assert current is None and following == (date(2028, 1, 30), date(2028, 2, 29))
    assert _run("monthly", DONE, SHIFT, last, _at(2028, 1, 30))[0] == (
        date(2028, 1, 30),
        date(2028, 2, 29),
    )
    open_last = LastReview(_at(2028, 1, 1), date(2028, 1, 31))
    assert _run("monthly", DONE, KEEP, open_last, _at(2028, 3, 1)) == (None, None)


def test_completion_anchoring_late_rules() -> None:
    late = LastReview(_at(2026, 1, 1), date(2026, 1, 31), _at(2026, 2, 10))
    # shift: one month from the late completion
    assert _run("monthly", DONE, SHIFT, late, _at(2026, 2, 11))[0] == (
        date(2026, 2, 11),
        date(2026, 3, 10),
    )
    # keep_schedule: the slot the review would have had, one month after its due date
    assert _run("monthly", DONE, KEEP, late, _at(2026, 2, 11))[0] == (
        date(2026, 2, 1),
        date(2026, 2, 28),
    )


def test_dst_does_not_move_a_new_york_monthly_period() -> None:
    last = LastReview(_at(2026, 10, 1, tz=NY), date(2026, 10, 31), _at(2026, 10, 20, tz=NY))
    current, following = _run("monthly", CAL, KEEP, last, _at(2026, 11, 1, 4, 30), NY)
    assert current == (date(2026, 11, 1), date(2026, 11, 30))
    assert following == (date(2026, 12, 1), date(2026, 12, 31))
