"""People of the fake Jira besides the bot: who exists and who may edit issues."""

from __future__ import annotations

import threading
from typing import Any

from .models import Mode


class People:
    """Users by id (Cloud accountId, Data Center name) and the EDIT_ISSUES holders."""

    lock: threading.RLock
    mode: Mode

    def reset_people(self) -> None:
        """Forget every user but the bot, who may edit."""
        with self.lock:
            self.users: dict[str, dict[str, Any]] = {}
            self.editors: set[str] = set()

    def add_user(self, ident: str, *, can_edit: bool = True, name: str | None = None) -> str:
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
