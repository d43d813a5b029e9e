"""`/controls` comment commands: every command, every error, and where a command may stand."""

from __future__ import annotations

from datetime import date

import pytest

from bot.commands import (
    HELP_TEXT,
    Command,
    CommandError,
    CommandName,
    Dialect,
    StartArgs,
    parse_command,
)

N = CommandName

VALID: list[tuple[str, Command]] = [
    ("/controls", Command(N.HELP)),
    ("/controls help", Command(N.HELP)),
    ("/controls help done", Command(N.HELP)),
    ("/CONTROLS Help", Command(N.HELP)),
    ("/controls status", Command(N.STATUS)),
    ("/controls done", Command(N.DONE)),
    ("/controls done GV-1.2", Command(N.DONE, control_id="GV-1.2")),
    ("/controls done mg-4.1", Command(N.DONE, control_id="MG-4.1")),
    ("/controls DONE\tms-2.10", Command(N.DONE, control_id="MS-2.10")),
    ("/controls unblock", Command(N.UNBLOCK)),
    ("/controls unblock MP-1.1", Command(N.UNBLOCK, control_id="MP-1.1")),
    ("/controls na no users in the EU", Command(N.NA, reason="no users in the EU")),
    (
        "/controls na GV-1.2 covered by vendor SOC 2",
        Command(N.NA, control_id="GV-1.2", reason="covered by vendor SOC 2"),
    ),
    (
        "/controls na gv-1.2 first line\nsecond line\n\nthird",
        Command(N.NA, control_id="GV-1.2", reason="first line\nsecond line\n\nthird"),
    ),
    ("/controls na\nreason on the next line", Command(N.NA, reason="reason on the next line")),
    ("/controls block waiting on legal", Command(N.BLOCK, reason="waiting on legal")),
    (
        "/controls block MG-2.3 vendor   has  not replied",
        Command(N.BLOCK, control_id="MG-2.3", reason="vendor   has  not replied"),
    ),
    (
        "/controls evidence https://example.com/report.pdf",
        Command(N.EVIDENCE, url="https://example.com/report.pdf"),
    ),
    (
        "/controls evidence GV-1.1 http://wiki.local/page?id=3#x",
        Command(N.EVIDENCE, control_id="GV-1.1", url="http://wiki.local/page?id=3#x"),
    ),
    (
        "/controls evidence <https://example.com/a>",
        Command(N.EVIDENCE, url="https://example.com/a"),
    ),
    ("/controls assign @octocat", Command(N.ASSIGN, user="octocat")),
    ("/controls assign octo-cat", Command(N.ASSIGN, user="octo-cat")),
    ("/controls assign MG-4.1 @a1", Command(N.ASSIGN, control_id="MG-4.1", user="a1")),
    ("/controls assign @" + "a" * 39, Command(N.ASSIGN, user="a" * 39)),
    ("/controls snooze 7", Command(N.SNOOZE, days=7)),
    ("/controls snooze 14d", Command(N.SNOOZE, days=14)),
    ("/controls snooze GV-1.1 90 days", Command(N.SNOOZE, control_id="GV-1.1", days=90)),
    ("/controls snooze 1day", Command(N.SNOOZE, days=1)),
    (
        "/controls start atlas 2.0",
        Command(N.START, start=StartArgs("atlas", "2.0", None, None)),
    ),
    (
        '/controls start "Atlas Large" v2.1-rc1 --priority high --target-date 2026-12-31',
        Command(N.START, start=StartArgs("Atlas Large", "v2.1-rc1", "high", date(2026, 12, 31))),
    ),
    (
        "/controls start 'my model' 3 --priority=Standard --target-date=2027-01-05",
        Command(N.START, start=StartArgs("my model", "3", "standard", date(2027, 1, 5))),
    ),
    (
        "/controls start --target-date 2026-06-30 atlas 2.0",
        Command(N.START, start=StartArgs("atlas", "2.0", None, date(2026, 6, 30))),
    ),
]


@pytest.mark.parametrize(("body", "expected"), VALID)
def test_valid_commands(body: str, expected: Command) -> None:
    assert parse_command(body) == expected


ERRORS: list[tuple[str, str]] = [
    ("/controls frobnicate", "Unknown command `frobnicate`"),
    ("/controls na", "na needs a reason"),
    ("/controls na GV-1.1", "na needs a reason"),
    ("/controls na GV-1.1   \n  \n", "na needs a reason"),
    ("/controls block", "block needs a reason"),
    ("/controls block MG-1.1", "block needs a reason"),
    ("/controls evidence", "exactly one http"),
    ("/controls evidence GV-1.1", "exactly one http"),
    ("/controls evidence ftp://example.com/x", "not an http"),
    ("/controls evidence example.com/x", "not an http"),
    ("/controls evidence https://", "not an http"),
    ("/controls evidence https://a.b/c https://d.e/f", "exactly one http"),
    ("/controls assign", "exactly one GitHub user"),
    ("/controls assign @a @b", "exactly one GitHub user"),
    ("/controls assign @-bad", "not a GitHub username"),
    ("/controls assign @bad-", "not a GitHub username"),
    ("/controls assign @two--hyphens", "not a GitHub username"),
    ("/controls assign @under_score", "not a GitHub username"),
    ("/controls assign @" + "a" * 40, "not a GitHub username"),
    ("/controls snooze", "1 to 90"),
    ("/controls snooze 0", "1 to 90"),
    ("/controls snooze 91", "1 to 90"),
    ("/controls snooze soon", "1 to 90"),
    ("/controls snooze -3", "1 to 90"),
    ("/controls done thanks!", "takes only an optional control id"),
    ("/controls unblock GV-1.1 now", "takes only an optional control id"),
    ("/controls status GV-1.1", "takes no arguments"),
    ("/controls start", "NAME and a VERSION"),
    ("/controls start atlas", "NAME and a VERSION"),
    ("/controls start atlas 2.0 extra", "NAME and a VERSION"),
    ('/controls start "" 2.0', "NAME and a VERSION"),
    ('/controls start "atlas 2.0', "Could not read the arguments"),
    ("/controls start atlas 2.0 --priority urgent", "--priority` must be one of high, standard"),
    ("/controls start atlas 2.0 --priority", "`--priority` needs a value"),
    ("/controls start atlas 2.0 --owner me", "Unknown option `--owner`"),
    ("/controls start atlas 2.0 --target-date 31/12/2026", "must be a date like"),
    ("/controls start atlas 2.0 --target-date 2026-02-30", "must be a date like"),
    ("/controls start atlas 2.0 --target-date 20261231", "must be a date like"),
]


@pytest.mark.parametrize(("body", "message"), ERRORS)
def test_errors(body: str, message: str) -> None:
    result = parse_command(body)
    assert isinstance(result, CommandError)
    assert message in result.message
    assert "/controls help" in result.message


def test_errors_show_the_usage_of_their_command() -> None:
    result = parse_command("/controls snooze forever")
    assert isinstance(result, CommandError)
    assert "Usage: `/controls snooze [ID] DAYS`" in result.message


@pytest.mark.parametrize(
    "body",
    [
        "",
        "Looks good to me",
        "please run /controls done",
        "`/controls done`",
        "/controlsdone",
        "/controls-done",
        "> /controls done",
        "  > > /controls done",
        "```\n/controls done\n```",
        "~~~\n/controls done\n~~~",
        "````\n```\n/controls done\n```\n````",
    ],
)
def test_no_command(body: str) -> None:
    assert parse_command(body) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Thanks!\n\n  /controls done  \n", Command(N.DONE)),
        ("> /controls na quoted\n/controls done GV-1.1", Command(N.DONE, control_id="GV-1.1")),
        ("```\n/controls status\n```\n/controls done", Command(N.DONE)),
        ("/controls done\n/controls status", Command(N.DONE)),
        ("/controls na first\n/controls done", Command(N.NA, reason="first\n/controls done")),
        ("\r\n/controls status\r\n", Command(N.STATUS)),
    ],
)
def test_which_line_is_the_command(body: str, expected: Command) -> None:
    assert parse_command(body) == expected


def test_help_lists_every_command() -> None:
    for name in CommandName:
        assert f"`/controls {name.value}" in HELP_TEXT
    assert HELP_TEXT.count("\n- ") == len(CommandName)


CLOUD_ID = "5b10ac8d82e05b22cc7d4ef5"
NEW_CLOUD_ID = "712020:3f9c6a1e-5b0d-4c55-9a57-2d1f3c7b8e10"


@pytest.mark.parametrize(
    ("body", "dialect", "expected"),
    [
        (
            f"/controls assign [~accountid:{CLOUD_ID}]",
            "jira-cloud",
            Command(N.ASSIGN, user=CLOUD_ID),
        ),
        (
            f"Over to you.\n/controls assign gv-1.2 [~ACCOUNTID:{NEW_CLOUD_ID}]",
            "jira-cloud",
            Command(N.ASSIGN, control_id="GV-1.2", user=NEW_CLOUD_ID),
        ),
        ("/controls assign [~jsmith]", "jira-dc", Command(N.ASSIGN, user="jsmith")),
        (
            "/controls assign MG-4.1 [~ada.l@example.com]",
            "jira-dc",
            Command(N.ASSIGN, control_id="MG-4.1", user="ada.l@example.com"),
        ),
        ("/controls assign @octocat", "github", Command(N.ASSIGN, user="octocat")),
        ("/controls done GV-1.1", "jira-dc", Command(N.DONE, control_id="GV-1.1")),
    ],
)
def test_assign_reads_the_trackers_mentions(body: str, dialect: Dialect, expected: Command) -> None:
    """Jira comments name people by wiki-markup mention, GitHub comments by `@login`."""
    assert parse_command(body, dialect=dialect) == expected


@pytest.mark.parametrize(
    ("body", "dialect", "message"),
    [
        ("/controls assign @ada", "jira-cloud", "`@ada` is not a Jira Cloud mention;"),
        ("/controls assign ada", "jira-dc", "`ada` is not a Jira Data Center mention;"),
        ("/controls assign [~jsmith]", "jira-cloud", "`[~jsmith]` is not a Jira Cloud mention;"),
        (
            f"/controls assign [~accountid:{CLOUD_ID}]",
            "jira-dc",
            "is not a Jira Data Center mention; @-mention one person from Jira's list so the "
            "comment holds `[~username]`.",
        ),
        ("/controls assign", "jira-cloud", "assign takes one person, not 0: @-mention"),
        ("/controls assign [~a] [~b]", "jira-dc", "assign takes one person, not 2"),
        ("/controls assign [~accountid:a b]", "jira-cloud", "is not a Jira Cloud mention"),
        ("/controls assign [~]", "jira-dc", "is not a Jira Data Center mention"),
        ("/controls assign [~accountid:x] now", "jira-cloud", "is not a Jira Cloud mention"),
        (f"/controls assign [~accountid:{CLOUD_ID}]", "github", "not a GitHub username"),
    ],
)
def test_assign_refuses_other_users(body: str, dialect: Dialect, message: str) -> None:
    """Anything but one mention of this tracker's kind is one clear sentence plus the usage."""
    result = parse_command(body, dialect=dialect)
    assert isinstance(result, CommandError)
    first = result.message.split("\n")[0]
    assert message in first and first.count(". ") == 0 and first.endswith(".")
    assert "Usage: `/controls assign [ID] @user`" in result.message
