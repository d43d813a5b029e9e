"""A small JQL subset: `field = v`, `!=`, `in (...)`, `not in (...)`, `is [not] EMPTY`, AND."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models import Issue, JiraHTTPError
from .seed import EPIC_LINK

if TYPE_CHECKING:
    from .state import FakeJira

TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|=|\(|\)|,)|(?P<word>[^\s=!(),"']+))"""
)
CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
Values = Callable[["FakeJira", Issue], list[str]]


@dataclass(frozen=True)
class Clause:
    """One `field op values` condition."""

    field: str
    op: str
    values: tuple[str, ...]


def _tokens(jql: str) -> list[str]:
    """Split JQL into words, quoted strings (unquoted) and operators."""
    tokens, pos = [], 0
    jql = jql.strip()
    while pos < len(jql):
        match = TOKEN.match(jql, pos)
        if match is None or match.end() == pos:
            raise _syntax(jql[pos:])
        text = match.group("str")
        tokens.append(text[1:-1] if text else (match.group("op") or match.group("word")))
        pos = match.end()
    return tokens


def _syntax(near: str) -> JiraHTTPError:
    """A 400 for JQL this subset cannot parse."""
    return JiraHTTPError(400, [f"Error in the JQL Query: unsupported syntax near '{near}'."])


def parse(jql: str) -> list[Clause]:
    """Clauses joined by AND; an ORDER BY tail is dropped (results come in key order)."""
    tokens = _tokens(jql)
    lowered = [t.lower() for t in tokens]
    for i in range(len(lowered) - 1):
        if lowered[i] == "order" and lowered[i + 1] == "by":
            tokens = tokens[:i]
            break
    clauses: list[Clause] = []
    while tokens:
        clause, tokens = _clause(tokens)
        clauses.append(clause)
        if tokens:
            if tokens[0].lower() != "and":
                raise _syntax(" ".join(tokens))
            tokens = tokens[1:]
    return clauses


def _clause(tokens: list[str]) -> tuple[Clause, list[str]]:
    """Read one clause off the front of `tokens`."""
    if len(tokens) < 3:
        raise _syntax(" ".join(tokens))
    field, rest = tokens[0].lower(), tokens[1:]
    words = [t.lower() for t in rest[:3]]
    if words[:2] == ["is", "not"] and words[2:] == ["empty"]:
        return Clause(field, "is not", ()), rest[3:]
    if words[:1] == ["is"] and words[1:2] in (["empty"], ["null"]):
        return Clause(field, "is", ()), rest[2:]
    if words[:2] == ["not", "in"]:
        values, rest = _list(rest[2:])
        return Clause(field, "not in", values), rest
    if words[:1] == ["in"]:
        values, rest = _list(rest[1:])
        return Clause(field, "in", values), rest
    if rest[0] in ("=", "!="):
        return Clause(field, rest[0], (rest[1],)), rest[2:]
    raise _syntax(" ".join(tokens))


def _list(tokens: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Read `( a, b, c )`."""
    if not tokens or tokens[0] != "(" or ")" not in tokens:
        raise _syntax(" ".join(tokens))
    end = tokens.index(")")
    values = tuple(t for t in tokens[1:end] if t != ",")
    return values, tokens[end + 1 :]


def _status_category(fake: FakeJira, issue: Issue) -> list[str]:
    """The status category's name and key."""
    category = fake.projects[issue.project_key].status(issue.status).category
    return [CATEGORY_NAMES[category], category]


FIELDS: dict[str, Values] = {
    "project": lambda f, i: [i.project_key, f.projects[i.project_key].id],
    "key": lambda f, i: [i.key, i.id],
    "labels": lambda f, i: list(i.fields.get("labels") or []),
    "fixversion": lambda f, i: [
        v for vid in i.fields.get("fixVersions") or [] for v in (vid, f.versions[vid].name)
    ],
    "status": lambda f, i: [i.status, f.projects[i.project_key].status(i.status).id],
    "statuscategory": _status_category,
    "resolution": lambda f, i: [i.resolution] if i.resolution else [],
    "issuetype": lambda f, i: [i.issue_type_id, f.type_of(i).name],
    "parent": lambda f, i: f.parent_refs(i),
    "epic link": lambda f, i: [i.fields[EPIC_LINK]] if i.fields.get(EPIC_LINK) else [],
}
ALIASES = {"issuekey": "key", "id": "key", "issue": "key", "type": "issuetype"}
ALIASES |= {"cf[10100]": "epic link", "fixversions": "fixversion"}


def _check_values(fake: FakeJira, clause: Clause, name: str) -> None:
    """Jira rejects keys, projects and versions that do not exist."""
    for value in clause.values:
        if name == "key" and fake.lookup_issue(value) is None:
            msg = f"An issue with key '{value}' does not exist for field '{clause.field}'."
            raise JiraHTTPError(400, [msg])
        known = name == "project" and any(
            value.lower() in (p.key.lower(), p.id) for p in fake.projects.values()
        )
        known = known or (name == "fixversion" and fake.version_named(value))
        if name in ("project", "fixversion") and not known:
            msg = f"The value '{value}' does not exist for the field '{clause.field}'."
            raise JiraHTTPError(400, [msg])


def _matches(fake: FakeJira, issue: Issue, clause: Clause, name: str) -> bool:
    """Whether the issue satisfies one clause."""
    have = {v.lower() for v in FIELDS[name](fake, issue)}
    wanted = {v.lower() for v in clause.values}
    if clause.op in ("=", "in"):
        return bool(have & wanted)
    if clause.op in ("!=", "not in"):
        return not have & wanted
    return bool(have) == (clause.op == "is not")


def select(fake: FakeJira, jql: str) -> list[Issue]:
    """The issues matching `jql`, in key order; 400 for unknown fields or values."""
    clauses = parse(jql or "")
    if not clauses and fake.mode == "cloud":
        msg = "Unbounded JQL queries are not allowed here. Please add a search restriction."
        raise JiraHTTPError(400, [msg])
    names = []
    for clause in clauses:
        name = ALIASES.get(clause.field, clause.field)
        if name not in FIELDS:
            msg = f"Field '{clause.field}' does not exist or you do not have permission to view it."
            raise JiraHTTPError(400, [msg])
        _check_values(fake, clause, name)
        names.append(name)
    found = [
        issue
        for issue in fake.issues.values()
        if all(_matches(fake, issue, c, n) for c, n in zip(clauses, names, strict=True))
    ]
    return sorted(found, key=lambda i: (i.project_key, i.number))
