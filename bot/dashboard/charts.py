"""Inline SVG charts (no JavaScript): completion per function and a release's burndown.

Each chart is an `<svg role="img">` with a title and a description that says the numbers in
words, and text labels on the chart itself, so nothing is told by colour alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from control_catalog import Function
from workflows.burndown import Burndown
from workflows.status import CLOSED, ControlStatus


@dataclass(frozen=True)
class FunctionBar:
    """How many of one function's controls are closed."""

    function: Function
    total: int
    closed: int

    @property
    def percent(self) -> float:
        """Share closed, 0-100."""
        return 100.0 * self.closed / self.total if self.total else 0.0


def function_completion(tasks: Iterable[tuple[Function, ControlStatus]]) -> list[FunctionBar]:
    """Closed and total controls per function, in the functions' own order; empty ones left out."""
    totals = dict.fromkeys(Function, 0)
    closed = dict.fromkeys(Function, 0)
    for function, status in tasks:
        totals[function] += 1
        closed[function] += status in CLOSED
    return [FunctionBar(f, totals[f], closed[f]) for f in Function if totals[f]]


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: str) -> Markup:
    """An accessible SVG wrapper: role img, labelled by its title and description."""
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>{body}</svg>'
    )


def function_chart(bars: list[FunctionBar], *, chart_id: str = "by-function") -> Markup:
    """Horizontal bars, one per function, each labelled `closed/total (percent)`."""
    label_w, bar_w, row_h = 90, 250, 30
    width, height = label_w + bar_w + 110, max(row_h * len(bars), row_h) + 6
    parts: list[str] = []
    for i, bar in enumerate(bars):
        y = 4 + i * row_h
        filled = bar_w * bar.percent / 100
        text = f"{bar.closed}/{bar.total} ({bar.percent:.0f}%)"
        parts.append(
            f'<text x="0" y="{y + 17}" class="label">{escape(bar.function.value)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" class="track"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{filled:.1f}" height="18" class="fill"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 17}" class="value">{escape(text)}</text>'
        )
    desc = "; ".join(
        f"{b.function.value}: {b.closed} of {b.total} closed ({b.percent:.0f}%)" for b in bars
    )
    return _svg(
        chart_id, width, height, "Completion per function", desc or "No controls", "".join(parts)
    )


_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 480, 250, 40, 14, 16, 42


def _x(day: date, chart: Burndown) -> float:
    """The horizontal position of a day."""
    span = max(chart.days - 1, 1)
    return _LEFT + (_W - _LEFT - _RIGHT) * (day - chart.start).days / span


def _y(value: float, peak: int) -> float:
    """The vertical position of a count."""
    return _TOP + (_H - _TOP - _BOTTOM) * (1 - value / max(peak, 1))


def _points(series: Iterable[tuple[date, float]], chart: Burndown, peak: int) -> str:
    """An SVG points attribute for a series."""
    return " ".join(f"{_x(d, chart):.1f},{_y(v, peak):.1f}" for d, v in series)


def _marker(day: date, chart: Burndown, label: str) -> str:
    """A labelled vertical line (today, target)."""
    x = _x(day, chart)
    anchor = "end" if x > _W - _RIGHT - 30 else "middle"
    return (
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{_H - _BOTTOM}" class="marker"/>'
        f'<text x="{x:.1f}" y="{_TOP - 3}" class="marker-label" text-anchor="{anchor}">'
        f"{escape(label)}</text>"
    )


def _axes(chart: Burndown, peak: int) -> str:
    """Both axes with their end labels."""
    bottom, right = _H - _BOTTOM, _W - _RIGHT
    return (
        f'<line x1="{_LEFT}" x2="{right}" y1="{bottom}" y2="{bottom}" class="axis"/>'
        f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{bottom}" class="axis"/>'
        f'<text x="{_LEFT - 6}" y="{_TOP + 4}" text-anchor="end" class="tick">{peak}</text>'
        f'<text x="{_LEFT - 6}" y="{bottom}" text-anchor="end" class="tick">0</text>'
        f'<text x="{_LEFT}" y="{bottom + 16}" class="tick">{chart.start.isoformat()}</text>'
        f'<text x="{right}" y="{bottom + 16}" text-anchor="end" class="tick">'
        f"{chart.end.isoformat()}</text>"
        f'<text x="{_LEFT}" y="{_H - 4}" class="legend">── open controls</text>'
        f'<text x="{_LEFT + 160}" y="{_H - 4}" class="legend">- - ideal</text>'
    )


def burndown_chart(chart: Burndown, *, today: date, chart_id: str = "burndown") -> Markup:
    """Open controls per day (solid) against the ideal line to the target (dashed)."""
    peak = max(chart.peak, 1)
    parts = [_axes(chart, peak)]
    if chart.ideal:
        parts.append(f'<polyline points="{_points(chart.ideal, chart, peak)}" class="ideal"/>')
    parts.append(
        f'<polyline points="{_points(chart.actual, chart, peak)}" class="actual"/>'
        if len(chart.actual) > 1
        else "".join(
            f'<circle cx="{_x(d, chart):.1f}" cy="{_y(v, peak):.1f}" r="3" class="actual-dot"/>'
            for d, v in chart.actual
        )
    )
    if chart.target is not None:
        parts.append(_marker(chart.target, chart, "target"))
    if chart.start <= today <= chart.end and today != chart.target:
        parts.append(_marker(today, chart, "today"))
    return _svg(chart_id, _W, _H, "Burndown", burndown_summary(chart), "".join(parts))


def burndown_summary(chart: Burndown) -> str:
    """The burndown in one sentence (the chart's description, also shown as text)."""
    first, last = chart.actual[0], chart.actual[-1]
    text = (
        f"{first[1]} controls open on {first[0].isoformat()}, "
        f"{last[1]} open on {last[0].isoformat()}."
    )
    if chart.target is None:
        return text + " No target date."
    return text + f" The ideal line reaches 0 on the target date, {chart.target.isoformat()}."
