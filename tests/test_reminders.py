"""Reminder selection (pure): business days, quiet days in a time zone, DST, back-off, cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflows.business_days import add_business_days, business_days_between, local_date
from workflows.models import ReminderKind
from workflows.reminders import Decision, Sent, backoff_days, decide, window_end
from workflows.repo_config import ReminderConfig, Weekday, parse_repo_config
from workflows.status import ControlStatus

K = ReminderKind
WEEKEND = frozenset({"sat", "sun"})


@dataclass(frozen=True)
class Task:
    """A control task as far as reminders care."""

    id: int | None
    due_date: date | None
    status: ControlStatus = ControlStatus.TODO
    snoozed_until: datetime | None = None


def _at(day: date, hour: int = 9, zone: str = "UTC") -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone))


def _decide(
    tasks: list[Task],
    now: datetime,
    config: ReminderConfig | None = None,
    history: dict[int, list[Sent]] | None = None,
) -> list[Decision]:
    return decide(
        tasks=tasks,
        history=history or {},
        config=config or ReminderConfig(),
        now=now,
        escalate_to=("rm",),
    )


def _kinds(decisions: list[Decision]) -> list[tuple[ReminderKind, str]]:
    return [(d.kind, d.period) for d in decisions]


# -- business days --------------------------------------------------------------------------


def test_business_days_skip_the_weekend() -> None:
    friday = date(2026, 12, 4)
    assert business_days_between(friday, date(2026, 12, 7), WEEKEND) == 1  # Monday
    assert business_days_between(friday, date(2026, 12, 9), WEEKEND) == 3  # Wednesday
    assert business_days_between(friday, date(2026, 12, 18), WEEKEND) == 10
    assert business_days_between(friday, friday, WEEKEND) == 0
    assert add_business_days(friday, 3, WEEKEND) == date(2026, 12, 9)
    assert add_business_days(friday, 0, WEEKEND) == friday


def test_business_days_agree_with_counting_one_by_one() -> None:
    start = date(2026, 1, 1)
    for offset in range(60):
        end = start + timedelta(days=offset)
        slow = sum(1 for i in range(1, offset + 1) if (start + timedelta(days=i)).weekday() < 5)
        assert business_days_between(start, end, WEEKEND) == slow


def test_due_soon_lead_counts_business_days_across_a_weekend() -> None:
    friday = _at(date(2026, 12, 4))
    wednesday, thursday = date(2026, 12, 9), date(2026, 12, 10)
    decisions = _decide([Task(1, wednesday), Task(2, thursday)], friday)
    assert _kinds(decisions) == [(K.DUE_SOON, "2026-12-09")]  # Mon, Tue, Wed = 3 business days
    assert window_end(ReminderConfig(), friday) == wednesday


def test_due_today_is_due_soon_and_a_repeat_claim_is_not_decided_again() -> None:
    today = date(2026, 12, 2)
    first = _decide([Task(1, today)], _at(today))
    assert _kinds(first) == [(K.DUE_SOON, "2026-12-02")]
    history = {1: [Sent(K.DUE_SOON, "2026-12-02", _at(today))]}
    assert _decide([Task(1, today)], _at(today, 15), history=history) == []


# -- quiet days and time zones --------------------------------------------------------------


def test_nothing_on_quiet_days_in_the_workspace_time_zone() -> None:
    # 2026-12-04 20:00 UTC is Saturday 09:00 in Auckland: quiet there, a Friday in UTC.
    now = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    task = Task(1, date(2026, 12, 7))
    assert _decide([task], now, ReminderConfig(timezone="Pacific/Auckland")) == []
    assert _kinds(_decide([task], now)) == [(K.DUE_SOON, "2026-12-07")]


def test_a_utc_weekend_can_be_a_working_day_in_los_angeles() -> None:
    # Saturday 2026-12-05 03:00 UTC is Friday 19:00 in Los Angeles.
    now = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    task = Task(1, date(2026, 12, 8))
    assert _decide([task], now) == []
    config = ReminderConfig(timezone="America/Los_Angeles")
    assert _kinds(_decide([task], now, config)) == [(K.DUE_SOON, "2026-12-08")]


def test_quiet_days_are_configurable() -> None:
    friday = _at(date(2026, 12, 4))
    config = ReminderConfig(quiet_days=[Weekday.FRI, Weekday.SAT])
    assert _decide([Task(1, date(2026, 12, 7))], friday, config) == []
    sunday = _at(date(2026, 12, 6))
    assert len(_decide([Task(1, date(2026, 12, 7))], sunday, config)) == 1


@pytest.mark.parametrize("start", [date(2026, 3, 2), date(2026, 10, 26)])
def test_a_dst_week_in_new_york_neither_skips_nor_repeats_a_day(start: date) -> None:
    """Run hourly through a DST-change week; every task gets one reminder, on its local day."""
    zone = "America/New_York"
    config = ReminderConfig(timezone=zone, lead=0, quiet_days=[], max_reminders=1)
    tasks = [Task(i, start + timedelta(days=i)) for i in range(8)]
    history: dict[int, list[Sent]] = {}
    sent_on: dict[tuple[int, ReminderKind], date] = {}
    moment = datetime(start.year, start.month, start.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    while moment < datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=9):
        for d in _decide(tasks, moment, config, history):
            assert (d.task_id, d.kind) not in sent_on
            history.setdefault(d.task_id, []).append(Sent(d.kind, d.period, moment))
            sent_on[d.task_id, d.kind] = local_date(moment, ZoneInfo(zone))
        moment += timedelta(hours=1)  # in UTC: 23 or 25 local hours on the change day
    for t in tasks:
        assert t.id is not None and t.due_date is not None
        assert sent_on[t.id, K.DUE_SOON] == t.due_date
        assert sent_on[t.id, K.OVERDUE] == t.due_date + timedelta(days=1)


def test_local_date_across_the_dst_change() -> None:
    zone = ZoneInfo("America/New_York")
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT; 04:30 UTC is still the 7th in New York.
    assert local_date(datetime(2026, 3, 8, 4, 30, tzinfo=UTC), zone) == date(2026, 3, 7)
    assert local_date(datetime(2026, 3, 8, 5, 30, tzinfo=UTC), zone) == date(2026, 3, 8)
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST; 04:30 UTC is already the 1st (00:30 EDT).
    assert local_date(datetime(2026, 11, 1, 4, 30, tzinfo=UTC), zone) == date(2026, 11, 1)
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 11, 1, 4, 30), zone)


# -- month ends and leap days ---------------------------------------------------------------


def test_month_end_due_date_counts_into_the_next_month() -> None:
    thursday = _at(date(2026, 4, 30))
    due = date(2026, 5, 5)  # Fri 1, Mon 4, Tue 5
    assert _kinds(_decide([Task(1, due)], thursday)) == [(K.DUE_SOON, "2026-05-05")]
    assert window_end(ReminderConfig(), thursday) == due


def test_a_leap_day_due_date() -> None:
    leap = date(2028, 2, 29)  # a Tuesday
    friday = _at(date(2028, 2, 25))
    assert _kinds(_decide([Task(1, leap)], friday)) == [(K.DUE_SOON, "2028-02-29")]
    first_of_march = _at(date(2028, 3, 1))
    overdue = _decide([Task(1, leap)], first_of_march)
    assert _kinds(overdue) == [(K.OVERDUE, "1")] and overdue[0].overdue_days == 1
    assert business_days_between(date(2028, 2, 28), date(2028, 3, 1), WEEKEND) == 2


# -- overdue: back-off, cap, escalation -----------------------------------------------------


def _overdue_run(config: ReminderConfig, days: int) -> list[tuple[date, list[str]]]:
    """Run daily for `days` days after a due date, recording what each day decides."""
    due = date(2026, 6, 1)
    history: dict[int, list[Sent]] = {}
    log: list[tuple[date, list[str]]] = []
    for offset in range(1, days + 1):
        day = due + timedelta(days=offset)
        decisions = _decide([Task(1, due)], _at(day), config, history)
        for d in decisions:
            history.setdefault(1, []).append(Sent(d.kind, d.period, _at(day)))
        if decisions:
            log.append((day, [f"{d.kind.value}:{d.period}" for d in decisions]))
    return log


def test_back_off_doubles_between_overdue_reminders_and_stops_at_the_cap() -> None:
    config = ReminderConfig(quiet_days=[], escalate_after=20, max_reminders=5)
    log = _overdue_run(config, 60)
    days = [(day - date(2026, 6, 1)).days for day, _ in log]
    assert days == [1, 2, 4, 8, 16]  # gaps 1, 2, 4, 8; then the cap of 5
    assert [b for _, b in log] == [[f"overdue:{n}"] for n in range(1, 6)]
    assert [backoff_days(ReminderConfig(backoff_days=2), n) for n in (2, 3, 4)] == [2, 4, 8]


def test_back_off_waits_out_quiet_days() -> None:
    due = date(2026, 12, 3)  # Thursday; Friday 1st reminder, Saturday quiet
    history = {1: [Sent(K.OVERDUE, "1", _at(date(2026, 12, 4)))]}
    assert _decide([Task(1, due)], _at(date(2026, 12, 5)), history=history) == []
    monday = _decide([Task(1, due)], _at(date(2026, 12, 7)), history=history)
    assert _kinds(monday) == [(K.OVERDUE, "2")] and monday[0].overdue_days == 4


def test_escalation_after_n_overdue_reminders_names_the_release_manager() -> None:
    config = ReminderConfig(quiet_days=[], escalate_after=2, max_reminders=4)
    log = _overdue_run(config, 30)
    assert [b for _, b in log] == [
        ["overdue:1"],
        ["overdue:2"],
        ["overdue:3", "escalation:1"],
        ["overdue:4", "escalation:2"],
    ]
    due = date(2026, 6, 1)
    history = {1: [Sent(K.OVERDUE, str(n), _at(due)) for n in (1, 2)]}
    decisions = _decide([Task(1, due)], _at(date(2026, 6, 5)), config, history)
    assert decisions[1].escalate_to == ("rm",)


# -- snoozed, closed, no date, bad config ---------------------------------------------------


def test_snoozed_closed_and_undated_tasks_get_nothing() -> None:
    now = _at(date(2026, 12, 2))
    due = date(2026, 12, 1)
    tasks = [
        Task(1, due, snoozed_until=now + timedelta(hours=1)),
        Task(2, due, status=ControlStatus.DONE),
        Task(3, due, status=ControlStatus.NOT_APPLICABLE),
        Task(4, None),
        Task(None, due),
        Task(5, due, snoozed_until=now - timedelta(seconds=1)),  # snooze over
        Task(6, due, status=ControlStatus.BLOCKED),
    ]
    assert [d.task_id for d in _decide(tasks, now)] == [5, 6]


def test_reminders_can_be_turned_off() -> None:
    now = _at(date(2026, 12, 2))
    assert _decide([Task(1, date(2026, 12, 1))], now, ReminderConfig(enabled=False)) == []


def test_a_bad_time_zone_is_a_reported_config_problem() -> None:
    config, problems = parse_repo_config("reminders:\n  timezone: Mars/Olympus_Mons\n")
    assert config.reminders.timezone == "UTC"
    assert problems == [
        ".github/controlbot.yml: reminders.timezone: unknown time zone 'Mars/Olympus_Mons' "
        "(use an IANA name); using the default"
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("reminders:\n  quiet_days: [mon, tue, wed, thu, fri, sat, sun]\n", "quiet_days"),
        ("reminders:\n  quiet_days: [someday]\n", "quiet_days"),
        ("reminders:\n  lead: -1\n", "lead"),
        ("reminders:\n  max_reminders: 0\n", "max_reminders"),
        ("reminders:\n  nag: true\n", "nag"),
    ],
)
def test_bad_reminder_keys_are_reported_with_the_key(text: str, where: str) -> None:
    config, problems = parse_repo_config(text)
    assert config.reminders == ReminderConfig()
    assert problems and f"reminders.{where}" in problems[0]


def test_good_reminder_config_is_kept() -> None:
    text = "reminders:\n  lead: 5\n  timezone: Pacific/Auckland\n  escalate_to: [rm]\n"
    config, problems = parse_repo_config(text)
    assert problems == []
    assert config.reminders.lead == 5 and config.reminders.escalate_to == ["rm"]
