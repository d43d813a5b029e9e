"""The tracker checklist: render, splice into a user's body, read ticks back."""

from __future__ import annotations

import pytest

from integrations.github.checklist import (
    END,
    MAX_BODY,
    START,
    ChecklistLine,
    changed_ticks,
    key_from_body,
    key_marker,
    parse_ticks,
    render_section,
    replace_section,
)

LINES = [
    ChecklistLine("atlas-2.0:GV-1.1", "GV-1.1", "Legal requirements", "Govern", True, link="#12"),
    ChecklistLine(
        "atlas-2.0:MP-1.1",
        "MP-1.1",
        "Intended purpose",
        "Map",
        False,
        note="not applicable: no users",
    ),
    ChecklistLine("atlas-2.0:GV-1.2", "GV-1.2", "Policies", "Govern", False, link="#13"),
]


def section(lines: list[ChecklistLine] = LINES, summary: str = "1 of 3 done") -> str:
    return render_section(summary, lines)


def test_render_layout() -> None:
    assert section().splitlines() == [
        START,
        "1 of 3 done",
        "",
        "### Govern",
        "- [x] GV-1.1 Legal requirements (#12) <!-- controlbot:key=atlas-2.0:GV-1.1 -->",
        "- [ ] GV-1.2 Policies (#13) <!-- controlbot:key=atlas-2.0:GV-1.2 -->",
        "",
        "### Map",
        "- [ ] MP-1.1 Intended purpose — *not applicable: no users* "
        "<!-- controlbot:key=atlas-2.0:MP-1.1 -->",
        "",
        END,
    ]


def test_keys_and_markers_are_hidden() -> None:
    visible = [line.split("<!--")[0] for line in section().splitlines()]
    assert not any("atlas-2.0" in text or "controlbot" in text for text in visible)


def test_round_trip() -> None:
    assert parse_ticks(section()) == {line.key: line.checked for line in LINES}


def test_titles_cannot_break_markers() -> None:
    sneaky = ChecklistLine("k:1", "GV-1.1", "a <!-- controlbot:key=evil --> b\nc", "G", True)
    text = render_section("x " + END, [sneaky])
    assert parse_ticks(text) == {"k:1": True}
    assert text.count(END) == 1
    assert "\nc" not in text


def test_key_marker_validates() -> None:
    assert key_marker("atlas-2.0:GV-1.1") == "<!-- controlbot:key=atlas-2.0:GV-1.1 -->"
    for bad in ["", "a b", "a-->", "<x>"]:
        with pytest.raises(ValueError, match="checklist key"):
            key_marker(bad)


def test_replace_keeps_user_text_before_and_after() -> None:
    body = f"Intro by a human.\n\n{section()}\n\nNotes below, also human."
    new = section([*LINES[:2], ChecklistLine("atlas-2.0:GV-1.2", "GV-1.2", "P", "Govern", True)])
    result = replace_section(body, new)
    assert result == f"Intro by a human.\n\n{new}\n\nNotes below, also human."
    assert parse_ticks(result)["atlas-2.0:GV-1.2"] is True


def test_replace_is_idempotent() -> None:
    body = replace_section("hello", section())
    assert replace_section(body, section()) == body


@pytest.mark.parametrize("body", [None, "", "   \n  "])
def test_empty_or_erased_body_gets_just_the_section(body: str | None) -> None:
    assert replace_section(body, section()) == section()


def test_missing_markers_append_after_user_text() -> None:
    assert replace_section("Just text.\n", section()) == "Just text.\n\n" + section()


@pytest.mark.parametrize(
    "damaged",
    [
        f"top\n{START}\n- [x] GV-1.1 <!-- controlbot:key=old -->\nuser edit",  # END deleted
        f"top\n- [x] GV-1.1 <!-- controlbot:key=old -->\n{END}\nuser edit",  # START deleted
        f"top\n{END}\nmiddle\n{START}\nuser edit",  # reversed
    ],
)
def test_damaged_markers_append_and_keep_text(damaged: str) -> None:
    result = replace_section(damaged, section())
    assert result == damaged + "\n\n" + section()
    assert parse_ticks(result) == {line.key: line.checked for line in LINES}
    assert replace_section(result, section()) == result  # stable afterwards


def test_ticking_a_box_by_hand_is_a_change() -> None:
    old = replace_section("intro", section())
    new = old.replace("- [ ] GV-1.2", "- [x] GV-1.2")
    assert changed_ticks(old, new) == {"atlas-2.0:GV-1.2": True}
    unticked = old.replace("- [x] GV-1.1", "- [ ] GV-1.1")
    assert changed_ticks(old, unticked) == {"atlas-2.0:GV-1.1": False}
    assert changed_ticks(old, old) == {}


def test_changed_ticks_ignores_added_removed_and_missing() -> None:
    old = section(LINES[:2])
    new = section(LINES[1:])
    assert changed_ticks(old, new) == {}
    assert changed_ticks(None, new) == {}
    assert changed_ticks(old, None) == {}
    assert changed_ticks(old, "") == {}


@pytest.mark.parametrize(
    ("line", "checked"),
    [
        ("- [x] GV-1.1 <!-- controlbot:key=k -->", True),
        ("- [X] GV-1.1 <!-- controlbot:key=k -->", True),
        ("* [ ] GV-1.1 <!-- controlbot:key=k -->", False),
        ("+ [x] GV-1.1 <!-- controlbot:key=k -->", True),
        ("   -   [x]   GV-1.1   <!--  controlbot:key=k  -->  ", True),
        ("- [x]<!-- controlbot:key=k -->", True),
    ],
)
def test_parse_ticks_is_tolerant(line: str, checked: bool) -> None:
    assert parse_ticks(f"{START}\n{line}\n{END}") == {"k": checked}


@pytest.mark.parametrize(
    "line",
    [
        "- [x] GV-1.1 no marker",
        "- GV-1.1 <!-- controlbot:key=k -->",
        "1. [x] GV-1.1 <!-- controlbot:key=k -->",
        "> - [x] GV-1.1 <!-- controlbot:key=k -->",
    ],
)
def test_parse_ticks_needs_box_and_marker(line: str) -> None:
    assert parse_ticks(f"{START}\n{line}\n{END}") == {}


def test_lines_outside_section_are_ignored() -> None:
    outside = "- [x] other <!-- controlbot:key=outside -->"
    body = f"{outside}\n{section()}\n{outside}"
    assert "outside" not in parse_ticks(body)
    assert parse_ticks(outside) == {}


def test_lines_in_code_fences_are_ignored() -> None:
    body = "\n".join(
        [
            START,
            "```markdown",
            "- [x] example <!-- controlbot:key=fenced -->",
            "```",
            "~~~~",
            "- [x] example <!-- controlbot:key=tilde -->",
            "```",
            "- [x] still fenced <!-- controlbot:key=tilde2 -->",
            "~~~~~",
            "- [ ] real <!-- controlbot:key=real -->",
            END,
        ]
    )
    assert parse_ticks(body) == {"real": False}


def test_keys_with_dots_and_colons() -> None:
    line = ChecklistLine("atlas-2.0:rc.1:GV-1.1", "GV-1.1", "T", "Govern", True)
    text = render_section("", [line])
    assert parse_ticks(text) == {"atlas-2.0:rc.1:GV-1.1": True}
    assert key_from_body(f"Child issue.\n\n{key_marker('atlas-2.0:rc.1:GV-1.1')}") == (
        "atlas-2.0:rc.1:GV-1.1"
    )


def test_key_from_body() -> None:
    assert key_from_body("no marker here") is None
    child = f"Do the thing.\n\n{key_marker('atlas-2.0:GV-1.1')}\n{key_marker('second')}"
    assert key_from_body(child) == "atlas-2.0:GV-1.1"
    assert key_from_body(section()) is None  # only the checklist's markers
    assert key_from_body(section() + "\n" + key_marker("after")) == "after"
    fenced = f"```\n{key_marker('fenced')}\n```\n{key_marker('real')}"
    assert key_from_body(fenced) == "real"


def test_group_order_is_first_seen() -> None:
    lines = [
        ChecklistLine("k1", "MG-1.1", "a", "Manage", False),
        ChecklistLine("k2", "GV-1.1", "b", "Govern", False),
        ChecklistLine("k3", "MG-1.2", "c", "Manage", True),
    ]
    text = render_section("s", lines)
    assert text.index("### Manage") < text.index("### Govern")
    assert text.index("k3") < text.index("### Govern")


def hundred_lines(title_length: int) -> list[ChecklistLine]:
    return [
        ChecklistLine(
            key=f"atlas-2.0:GV-{i}.1",
            control_id=f"GV-{i}.1",
            title=("Review of the model's risk " * 50)[:title_length],
            group=f"Function {i % 4}",
            checked=i % 2 == 0,
            note="not applicable: out of scope" if i % 7 == 0 else None,
            link=f"#{1000 + i}",
        )
        for i in range(100)
    ]


def test_hundred_line_section_stays_under_limit() -> None:
    lines = hundred_lines(120)
    body = replace_section("Release notes.\n", render_section("50 of 100 done", lines))
    assert len(body) < MAX_BODY
    assert parse_ticks(body) == {line.key: line.checked for line in lines}


def test_oversized_titles_are_shortened_but_boxes_and_keys_kept() -> None:
    lines = hundred_lines(1300)
    section_text = render_section("summary", lines)
    assert len(section_text) > MAX_BODY
    body = replace_section("Human text stays.", section_text)
    assert len(body) <= MAX_BODY
    assert body.startswith("Human text stays.\n\n")
    assert parse_ticks(body) == {line.key: line.checked for line in lines}
    assert "…" in body
    assert "(#1007) — *not applicable: out of scope*" in body
    for line in lines:
        assert f"{line.control_id} Review" in body


def test_too_much_user_text_raises() -> None:
    with pytest.raises(ValueError, match="over the 60000 limit"):
        replace_section("x" * MAX_BODY, render_section("s", hundred_lines(10)))
