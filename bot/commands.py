"""Parse `/controls ...` comment commands into a `Command`, a `CommandError` or None (pure).

The command is the first line that starts with `/controls`, outside fenced code blocks and `>`
quotes. On the parent tracker issue a control id (`GV-1.2`, upper-cased) may follow the subcommand.
`assign` names a person the way the comment's tracker does: `@login` on GitHub, a wiki-markup
mention in Jira (Cloud `[~accountid:ID]`, Data Center `[~username]`), so the caller says which.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

PREFIX = "/controls"
MAX_SNOOZE_DAYS = 90
PRIORITIES = ("high", "standard")

# Where a comment was written; it decides how `/controls assign` names a person.
Dialect = Literal["github", "jira-cloud", "jira-dc"]

_CONTROL_ID = re.compile(r"[A-Za-z]{2,6}-\d+(?:\.\d+)*")
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
# Jira wiki-markup mentions (REST v2 comment bodies): Cloud `[~accountid:ID]`, DC `[~username]`.
_CLOUD_MENTION = re.compile(r"\[~accountid:([A-Za-z0-9:_-]{1,128})\]", re.IGNORECASE)
_DC_MENTION = re.compile(r"\[~([^\[\]|\s](?:[^\[\]|]{0,253}[^\[\]|\s])?)\]")
_ANY_MENTION = re.compile(r"\[~[^\[\]]+\]")
_JIRA_SITES = {True: ("Jira Cloud", "[~accountid:...]"), False: ("Jira Data Center", "[~username]")}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAYS = re.compile(r"(\d+)\s*(?:d|days?)?", re.IGNORECASE)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


class CommandName(StrEnum):
    """Every `/controls` subcommand."""

    START = "start"
    DONE = "done"
    NA = "na"
    BLOCK = "block"
    UNBLOCK = "unblock"
    EVIDENCE = "evidence"
    ASSIGN = "assign"
    STATUS = "status"
    HELP = "help"
    SNOOZE = "snooze"


@dataclass(frozen=True, slots=True)
class StartArgs:
    """Arguments of `/controls start`: open a release."""

    name: str
    version: str
    priority: str | None
    target_date: date | None


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed command; only the fields its subcommand takes are set."""

    name: CommandName
    control_id: str | None = None
    reason: str | None = None
    url: str | None = None
    user: str | None = None
    days: int | None = None
    start: StartArgs | None = None


@dataclass(frozen=True, slots=True)
class CommandError:
    """A `/controls` line we could not accept; `message` is ready to post as a reply."""

    message: str


USAGE: dict[CommandName, tuple[str, str]] = {
    CommandName.START: (
        "/controls start NAME VERSION [--priority high|standard] [--target-date YYYY-MM-DD]",
        'open a release and its control tasks (quote names with spaces: `"My model"`)',
    ),
    CommandName.DONE: ("/controls done [ID]", "mark the control done"),
    CommandName.NA: ("/controls na [ID] REASON", "mark the control not applicable, with a reason"),
    CommandName.BLOCK: ("/controls block [ID] REASON", "mark the control blocked, with a reason"),
    CommandName.UNBLOCK: ("/controls unblock [ID]", "clear a block"),
    CommandName.EVIDENCE: ("/controls evidence [ID] URL", "attach an http(s) link as evidence"),
    CommandName.ASSIGN: (
        "/controls assign [ID] @user",
        "make someone the owner and assignee (in Jira, @-mention them from the list)",
    ),
    CommandName.STATUS: ("/controls status", "reply with the release's progress"),
    CommandName.HELP: ("/controls help", "show this list"),
    CommandName.SNOOZE: (
        "/controls snooze [ID] DAYS",
        f"pause reminders for 1 to {MAX_SNOOZE_DAYS} days",
    ),
}
HELP_TEXT = (
    "**controlbot commands**\n\n"
    + "\n".join(f"- `{usage}`: {what}" for usage, what in USAGE.values())
    + "\n\n`ID` is a control id such as `GV-1.2`; it is needed only on the release tracker issue."
)


def _error(message: str, name: CommandName | None = None) -> CommandError:
    usage = f"\n\nUsage: `{USAGE[name][0]}`" if name else ""
    return CommandError(f"{message}.{usage}\n\nSee `/controls help` for every command.")


def _lines(body: str) -> Iterator[tuple[int, str]]:
    """(index, line) for lines outside fenced code blocks and `>` quotes."""
    fence: str | None = None
    for index, line in enumerate(body.splitlines()):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match[1]
        elif fence is not None:
            if match and match[1][0] == fence[0] and len(match[1]) >= len(fence):
                fence = None
        elif not line.lstrip().startswith(">"):
            yield index, line


def _find(body: str) -> tuple[str, str] | None:
    """(the rest of the command line, the comment's following lines), or None."""
    lines = body.splitlines()
    for index, line in _lines(body):
        text = line.strip()
        head, rest = text[: len(PREFIX)], text[len(PREFIX) :]
        if head.lower() == PREFIX and (not rest or rest[0].isspace()):
            return rest.strip(), "\n".join(lines[index + 1 :])
    return None


def _take_id(args: str) -> tuple[str | None, str]:
    """A leading control id (upper-cased) and the remaining text."""
    words = args.split(None, 1)
    if words and _CONTROL_ID.fullmatch(words[0]):
        return words[0].upper(), words[1].strip() if len(words) > 1 else ""
    return None, args


def parse_command(body: str, *, dialect: Dialect = "github") -> Command | CommandError | None:
    """The first `/controls` command in a body written in `dialect`, an error to reply, or None."""
    found = _find(body)
    if found is None:
        return None
    line, following = found
    if not line:
        return Command(CommandName.HELP)
    word, *rest = line.split(None, 1)
    try:
        name = CommandName(word.lower())
    except ValueError:
        return _error(f"Unknown command `{word}`")
    args = rest[0].strip() if rest else ""
    if name is CommandName.ASSIGN:
        return _assign(name, args, dialect)
    return _PARSERS[name](name, args, following)


def _bare(name: CommandName, args: str, _following: str) -> Command | CommandError:
    control_id, rest = _take_id(args)
    if rest:
        return _error(f"`{name}` takes only an optional control id, not `{rest}`", name)
    return Command(name, control_id=control_id)


def _no_args(name: CommandName, args: str, _following: str) -> Command | CommandError:
    if args and name is not CommandName.HELP:
        return _error(f"`{name}` takes no arguments", name)
    return Command(name)


def _with_reason(name: CommandName, args: str, following: str) -> Command | CommandError:
    control_id, rest = _take_id(args)
    reason = "\n".join(part for part in (rest, following.strip()) if part).strip()
    if not reason:
        return _error(f"{name} needs a reason", name)
    return Command(name, control_id=control_id, reason=reason)


def _evidence(name: CommandName, args: str, _following: str) -> Command | CommandError:
    control_id, rest = _take_id(args)
    words = rest.split()
    if len(words) != 1:
        return _error("evidence needs exactly one http(s) URL", name)
    url = words[0].removeprefix("<").removesuffix(">")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return _error(f"`{url}` is not an http(s) URL", name)
    return Command(name, control_id=control_id, url=url)


def _assign(name: CommandName, args: str, dialect: Dialect) -> Command | CommandError:
    control_id, rest = _take_id(args)
    if dialect != "github":
        return _assign_jira(name, control_id, rest, dialect == "jira-cloud")
    words = rest.split()
    if len(words) != 1:
        return _error("assign needs exactly one GitHub user", name)
    user = words[0].removeprefix("@")
    if not _LOGIN.fullmatch(user):
        return _error(f"`{words[0]}` is not a GitHub username", name)
    return Command(name, control_id=control_id, user=user)


def _assign_jira(
    name: CommandName, control_id: str | None, rest: str, cloud: bool
) -> Command | CommandError:
    """`assign` in a Jira comment: one mention, the accountId on Cloud, the username on DC."""
    on_cloud = _CLOUD_MENTION.fullmatch(rest)
    if found := on_cloud if cloud else (None if on_cloud else _DC_MENTION.fullmatch(rest)):
        return Command(name, control_id=control_id, user=found[1])
    site, shape = _JIRA_SITES[cloud]
    hint = f"@-mention one person from Jira's list so the comment holds `{shape}`"
    if (count := len(_ANY_MENTION.findall(rest))) > 1 or not rest:
        return _error(f"assign takes one person, not {count}: {hint}", name)
    return _error(f"`{rest[:60]}` is not a {site} mention; {hint}", name)


def _snooze(name: CommandName, args: str, _following: str) -> Command | CommandError:
    control_id, rest = _take_id(args)
    match = _DAYS.fullmatch(rest)
    days = int(match[1]) if match else 0
    if not 1 <= days <= MAX_SNOOZE_DAYS:
        return _error(f"snooze needs a number of days from 1 to {MAX_SNOOZE_DAYS}", name)
    return Command(name, control_id=control_id, days=days)


def _start(name: CommandName, args: str, _following: str) -> Command | CommandError:
    try:
        words = shlex.split(args)
    except ValueError as exc:
        return _error(f"Could not read the arguments ({exc})", name)
    options, positional = _options(words)
    if isinstance(options, CommandError):
        return options
    if len(positional) != 2 or not all(p.strip() for p in positional):
        return _error("start needs a release NAME and a VERSION", name)
    return _start_command(name, positional, options)


def _options(words: Sequence[str]) -> tuple[dict[str, str] | CommandError, list[str]]:
    """`--key value` / `--key=value` options and the positional words."""
    options: dict[str, str] = {}
    positional: list[str] = []
    items = iter(words)
    for word in items:
        if not word.startswith("--"):
            positional.append(word)
            continue
        key, eq, value = word[2:].partition("=")
        if key not in ("priority", "target-date"):
            return _error(f"Unknown option `--{key}`", CommandName.START), positional
        value = value if eq else next(items, "")
        if not value:
            return _error(f"`--{key}` needs a value", CommandName.START), positional
        options[key] = value
    return options, positional


def _start_command(
    name: CommandName, positional: Sequence[str], options: dict[str, str]
) -> Command | CommandError:
    priority = options.get("priority")
    if priority is not None and priority.lower() not in PRIORITIES:
        return _error(f"`--priority` must be one of {', '.join(PRIORITIES)}", name)
    target: date | None = None
    if "target-date" in options:
        raw = options["target-date"]
        try:
            target = date.fromisoformat(raw) if _DATE.fullmatch(raw) else None
        except ValueError:
            target = None
        if target is None:
            return _error(f"`--target-date` must be a date like 2026-12-31, not `{raw}`", name)
    args = StartArgs(
        name=positional[0].strip(),
        version=positional[1].strip(),
        priority=priority.lower() if priority else None,
        target_date=target,
    )
    return Command(name, start=args)


_PARSERS: dict[CommandName, Callable[[CommandName, str, str], Command | CommandError]] = {
    CommandName.START: _start,
    CommandName.DONE: _bare,
    CommandName.NA: _with_reason,
    CommandName.BLOCK: _with_reason,
    CommandName.UNBLOCK: _bare,
    CommandName.EVIDENCE: _evidence,
    CommandName.STATUS: _no_args,
    CommandName.HELP: _no_args,
    CommandName.SNOOZE: _snooze,
}
