"""People of the fake Jira besides the bot: who exists, who may edit and who may be assigned."""

from __future__ import annotations

import threading
from typing import Any

from .models import JiraHTTPError, Mode


class People:
    """Users by id (Cloud accountId, Data Center name), EDIT_ISSUES holders, assignable users."""

    lock: threading.RLock
    mode: Mode

    def reset_people(self) -> None:
        """Forget every user but the bot, who may edit."""
        with self.lock:
            self.users: dict[str, dict[str, Any]] = {}
            self.editors: set[str] = set()
            self.assignable: set[str] = set()

    def add_user(
        self,
        ident: str,
        *,
        can_edit: bool = True,
        name: str | None = None,
        can_be_assigned: bool = True,
    ) -> str:
        """Add a person (accountId on Cloud, username on Data Center); returns `ident`."""
        with self.lock:
            shown = name or ident.title()
            if self.mode == "cloud":
                user = {"accountId": ident, "accountType": "atlassian"}
            else:
                user = {"name": ident, "key": f"JIRAUSER{10100 + len(self.users)}"}
            self.users[ident] = user | {"displayName": shown, "active": True}
            if can_edit:
                self.editors.add(ident)
            if can_be_assigned:
                self.assignable.add(ident)
            return ident

    def user_json(self, ident: str, base: str) -> dict[str, Any]:
        """The user object Jira puts in payloads and answers."""
        user = dict(self.users[ident])
        query = f"accountId={ident}" if self.mode == "cloud" else f"username={ident}"
        return {"self": f"{base}/rest/api/2/user?{query}", **user}

    def editors_matching(self, wanted: str, *, exact: bool) -> list[str]:
        """EDIT_ISSUES holders whose id is `wanted` (or, on Data Center, starts with it)."""
        with self.lock:
            return sorted(
                ident
                for ident in self.editors
                if ident == wanted or (not exact and ident.startswith(wanted))
            )

    def assignee_for(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The user a `PUT issue/{key}/assignee` body names (None unassigns), or Jira's 400."""
        field = "accountId" if self.mode == "cloud" else "name"
        given = [key for key in ("accountId", "name", "key") if key in body]
        if given != [field]:
            raise JiraHTTPError(400, [f"Name the user by '{field}', and by nothing else."])
        ident = body[field]
        if ident is None:
            return None
        with self.lock:
            if not isinstance(ident, str) or ident not in self.assignable:
                message = f"User '{ident}' cannot be assigned issues."
                raise JiraHTTPError(400, errors={"assignee": message})
            return dict(self.users[ident])
