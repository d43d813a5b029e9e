"""The burndown series and the per-function completion (pure), and the SVG they draw."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from bot.dashboard.charts import burndown_chart, function_chart, function_completion
from control_catalog import Function
from workflows.burndown import TaskTimeline, burndown
from workflows.status import ControlStatus

S = ControlStatus
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _on(day: int, hour: int = 12) -> datetime:
    """A moment on the given day of November 2026."""
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def _task(
    status: ControlStatus, *changes: tuple[datetime, ControlStatus, ControlStatus]
) -> TaskTimeline:
    return TaskTimeline(created_at=START, status=status, changes=changes)


def test_open_count_falls_on_the_day_a_task_closes_and_rises_when_it_reopens() -> None:
    tasks = [
        _task(S.DONE, (_on(2), S.TODO, S.IN_PROGRESS), (_on(3), S.IN_PROGRESS, S.DONE)),
        _task(S.TODO, (_on(2), S.TODO, S.DONE), (_on(4), S.DONE, S.TODO)),
        _task(S.NOT_APPLICABLE, (_on(1, 18), S.TODO, S.NOT_APPLICABLE)),
        _task(S.BLOCKED, (_on(2), S.TODO, S.BLOCKED)),
    ]
    chart = burndown(
        tasks, created=date(2026, 11, 1), target=date(2026, 11, 10), today=date(2026, 11, 5)
    )
    assert [n for _, n in chart.actual] == [3, 2, 1, 2, 2]
    assert chart.actual[0][0] == date(2026, 11, 1) and chart.actual[-1][0] == date(2026, 11, 5)
    assert (chart.start, chart.end, chart.days) == (date(2026, 11, 1), date(2026, 11, 10), 10)


def test_the_ideal_line_runs_from_everything_open_to_zero_on_the_target() -> None:
    tasks = [_task(S.TODO) for _ in range(4)]
    chart = burndown(
        tasks, created=date(2026, 11, 1), target=date(2026, 11, 5), today=date(2026, 11, 2)
    )
    assert [v for _, v in chart.ideal] == [4.0, 3.0, 2.0, 1.0, 0.0]
    assert chart.ideal[-1][0] == date(2026, 11, 5)
    assert [n for _, n in chart.actual] == [4, 4]


def test_a_task_that_never_changed_keeps_its_status_all_along() -> None:
    # e.g. imported as done: no audit row, so it was never open
    chart = burndown(
        [_task(S.DONE), _task(S.TODO)],
        created=date(2026, 11, 1),
        target=None,
        today=date(2026, 11, 3),
    )
    assert [n for _, n in chart.actual] == [1, 1, 1]
    assert chart.ideal == () and chart.end == date(2026, 11, 3)


def test_tasks_added_later_count_from_their_creation_day() -> None:
    late = TaskTimeline(created_at=_on(3), status=S.TODO)
    early_change = TaskTimeline(
        created_at=START, status=S.DONE, changes=((START - timedelta(days=5), S.TODO, S.DONE),)
    )
    chart = burndown(
        [_task(S.TODO), late, early_change],
        created=date(2026, 11, 1),
        target=date(2026, 11, 4),
        today=date(2026, 11, 4),
    )
    assert [n for _, n in chart.actual] == [1, 1, 2, 2]
    assert chart.ideal[0] == (date(2026, 11, 1), 1.0)


def test_a_target_already_passed_keeps_counting_up_to_today() -> None:
    chart = burndown(
        [_task(S.TODO)],
        created=date(2026, 11, 1),
        target=date(2026, 11, 2),
        today=date(2026, 11, 6),
    )
    assert len(chart.actual) == 6 and chart.end == date(2026, 11, 6)
    assert [v for _, v in chart.ideal] == [1.0, 0.0]


def test_several_changes_on_one_day_count_as_where_they_end() -> None:
    flip = _task(S.TODO, (_on(2, 9), S.TODO, S.DONE), (_on(2, 10), S.DONE, S.TODO))
    chart = burndown([flip], created=date(2026, 11, 1), target=None, today=date(2026, 11, 2))
    assert [n for _, n in chart.actual] == [1, 1]


def test_function_completion_counts_closed_per_function_in_order() -> None:
    bars = function_completion(
        [
            (Function.MAP, S.DONE),
            (Function.GOVERN, S.TODO),
            (Function.GOVERN, S.NOT_APPLICABLE),
            (Function.MAP, S.BLOCKED),
            (Function.MAP, S.DONE),
        ]
    )
    assert [(b.function, b.closed, b.total) for b in bars] == [
        (Function.GOVERN, 1, 2),
        (Function.MAP, 2, 3),
    ]
    assert round(bars[1].percent) == 67


def test_function_chart_labels_every_bar_in_text() -> None:
    svg = str(
        function_chart(
            function_completion([(Function.MEASURE, S.DONE), (Function.MEASURE, S.TODO)])
        )
    )
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert '<title id="by-function-t">Completion per function</title>' in svg
    assert ">measure</text>" in svg and ">1/2 (50%)</text>" in svg
    assert "measure: 1 of 2 closed (50%)" in svg
    fill = re.search(r'class="track"/><rect x="90" y="8" width="([\d.]+)"', svg)
    assert fill is not None and float(fill.group(1)) == 125.0  # half of the 250-wide track


def test_burndown_chart_draws_both_lines_and_says_the_numbers() -> None:
    tasks = [_task(S.TODO), _task(S.DONE, (_on(2), S.TODO, S.DONE))]
    chart = burndown(
        tasks, created=date(2026, 11, 1), target=date(2026, 11, 5), today=date(2026, 11, 3)
    )
    svg = str(burndown_chart(chart, today=date(2026, 11, 3)))
    assert 'class="actual"' in svg and 'class="ideal"' in svg
    assert ">target</text>" in svg and ">today</text>" in svg
    assert "2 controls open on 2026-11-01, 1 open on 2026-11-03." in svg
    points = re.search(r'points="([^"]+)" class="actual"', svg)
    assert points is not None and len(points.group(1).split()) == 3
