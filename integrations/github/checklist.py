"""The parent tracker issue's checklist: render it, splice it into a body, read the ticks back.

The database is the truth and the body is a view. Only the text between START and END belongs to
us; the user's text around it is kept. Each line carries its key in a hidden HTML comment, so ticks
are read from the marker and never from the visible text (Renovate's dependency dashboard).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

KEY_MARKER = "<!-- controlbot:key={key} -->"
START = "<!-- controlbot:checklist:start -->"
END = "<!-- controlbot:checklist:end -->"
MAX_BODY = 60_000  # GitHub rejects bodies over 65,536 characters; keep a margin
ELLIPSIS = "…"

_KEY = re.compile(r"[^\s<>]+")
_MARKER = re.compile(r"<!--\s*controlbot:key=([^\s<>]+?)\s*-->")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_TICK = re.compile(r"^\s*[-*+]\s+\[([ xX])\]")
# A rendered line: "- [x] " + visible text + " <!-- controlbot:key=... -->"
_LINE = re.compile(
    r"^(?P<box>\s*[-*+]\s+\[[ xX]\]\s+)(?P<text>.*?)"
    r"(?P<marker>\s*<!--\s*controlbot:key=[^\s<>]+?\s*-->)\s*$"
)
# Visible text as rendered: control id, title, optional " (link)", optional " — *note*"
_TEXT = re.compile(r"^(?P<cid>\S+)(?P<title>.*?)(?P<tail>(?: \([^()]*\))?(?: — \*.*\*)?)$")


@dataclass(frozen=True, slots=True)
class ChecklistLine:
    """One control on the tracker; `note` e.g. "not applicable: reason", `link` e.g. "#123"."""

    key: str
    control_id: str
    title: str
    group: str
    checked: bool
    note: str | None = None
    link: str | None = None


def key_marker(key: str) -> str:
    """The hidden HTML comment that ties a line or a child issue to its task key."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"checklist key {key!r} must be non-empty, without spaces, '<' or '>'")
    return KEY_MARKER.format(key=key)


def _plain(text: str) -> str:
    """One line of visible text that cannot open or close an HTML comment."""
    flat = " ".join(text.split())
    return flat.replace("<!--", "&lt;!--").replace("-->", "--&gt;")


def _italic(text: str) -> str:
    return "*" + _plain(text).replace("*", r"\*") + "*"


def _render_line(line: ChecklistLine) -> str:
    box = "[x]" if line.checked else "[ ]"
    text = f"{_plain(line.control_id)} {_plain(line.title)}".strip()
    if line.link:
        text += f" ({_plain(line.link)})"
    if line.note:
        text += f" — {_italic(line.note)}"
    return f"- {box} {text} {key_marker(line.key)}"


def render_section(summary: str, lines: Sequence[ChecklistLine]) -> str:
    """START, the summary, a `### Group` heading and its lines per group (first seen first), END."""
    groups: dict[str, list[ChecklistLine]] = {}
    for line in lines:
        groups.setdefault(line.group, []).append(line)
    out = [START]
    if summary.strip():
        out += [_unmark(summary.strip()), ""]
    for group, members in groups.items():
        out += [f"### {_plain(group) or 'Other'}", *(_render_line(m) for m in members), ""]
    out.append(END)
    return "\n".join(out)


def _unmark(text: str) -> str:
    """Summary text with our section markers defused, so it cannot end the section early."""
    return text.replace(START, _plain(START)).replace(END, _plain(END))


def _find_section(body: str) -> tuple[int, int] | None:
    """(start, end) of the first END that has a START before it, from the nearest such START."""
    end = body.find(END)
    while end != -1:
        start = body.rfind(START, 0, end)
        if start != -1:
            return start, end + len(END)
        end = body.find(END, end + len(END))
    return None


def _splice(body: str | None, section: str) -> str:
    if not body or not body.strip():
        return section
    span = _find_section(body)
    if span is None:
        return body.rstrip() + "\n\n" + section
    return body[: span[0]] + section + body[span[1] :]


def replace_section(body: str | None, section: str) -> str:
    """The body with only our section rewritten (appended when missing); stays under MAX_BODY.

    Over the limit, titles are shortened (checkboxes and keys are always kept). If it still does
    not fit, raise ValueError rather than drop the user's text.
    """
    result = _splice(body, section)
    if len(result) <= MAX_BODY:
        return result
    rows = [(row, _split_line(row)) for row in section.split("\n")]
    low, high = 0, max((len(parts[1]) for _, parts in rows if parts), default=0)
    best: str | None = None
    while low <= high:  # the longest title budget that fits
        mid = (low + high) // 2
        candidate = _splice(body, "\n".join(_shrink(row, parts, mid) for row, parts in rows))
        if len(candidate) <= MAX_BODY:
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    if best is None:
        raise ValueError(
            f"tracker body would be {len(result)} characters, over the {MAX_BODY} limit even with "
            "titles cut short; shorten the text outside the checklist or split the release"
        )
    return best


def _split_line(row: str) -> tuple[str, str, str, str] | None:
    """(box + control id, title, link/note tail, marker) of a rendered line, or None."""
    line = _LINE.match(row)
    text = _TEXT.match(line["text"]) if line else None
    if line is None or text is None:
        return None
    return line["box"] + text["cid"], text["title"], text["tail"], line["marker"]


def _shrink(row: str, parts: tuple[str, str, str, str] | None, budget: int) -> str:
    if parts is None:
        return row
    head, title, tail, marker = parts
    if len(title) > budget:
        title = title[: max(budget - 1, 0)].rstrip() + ELLIPSIS if budget else ""
    return head + title + tail + marker


def _unfenced(lines: Sequence[str]) -> Iterator[str]:
    """The lines outside fenced code blocks (``` or ~~~, closed by a fence as long or longer)."""
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match[1]
        elif fence is not None:
            if match and match[1][0] == fence[0] and len(match[1]) >= len(fence):
                fence = None
        else:
            yield line


def parse_ticks(body: str | None) -> dict[str, bool]:
    """Key -> checked for the marked lines inside our section, ignoring fenced code blocks."""
    span = _find_section(body or "")
    if body is None or span is None:
        return {}
    ticks: dict[str, bool] = {}
    for line in _unfenced(body[span[0] : span[1]].splitlines()):
        box, marker = _TICK.match(line), _MARKER.search(line)
        if box and marker:
            ticks.setdefault(marker[1], box[1] != " ")
    return ticks


def changed_ticks(old: str | None, new: str | None) -> dict[str, bool]:
    """Keys present in both bodies whose box flipped, with the new value."""
    before, after = parse_ticks(old), parse_ticks(new)
    return {key: value for key, value in after.items() if key in before and before[key] != value}


def key_from_body(body: str) -> str | None:
    """The first key marker outside our checklist section and code fences (a child issue's key)."""
    span = _find_section(body)
    if span is not None:
        body = body[: span[0]] + "\n" + body[span[1] :]
    for line in _unfenced(body.splitlines()):
        marker = _MARKER.search(line)
        if marker:
            return marker[1]
    return None
