"""Project versions (fixVersions) of the fake Jira."""

from __future__ import annotations

import threading
from typing import Any

from .models import JiraHTTPError, Project, Version


class VersionStore:
    """Versions by id; a base of `FakeJira`, which provides projects, ids and the lock."""

    lock: threading.RLock
    versions: dict[str, Version]

    def get_project(self, ref: str) -> Project:  # pragma: no cover - provided by FakeJira
        """The project with this key or id, or a 404."""
        raise NotImplementedError

    def new_id(self, kind: str) -> str:  # pragma: no cover - provided by FakeJira
        """The next id for `kind`."""
        raise NotImplementedError

    def find_version(self, project: Project, ident: str | None, name: str | None) -> Version | None:
        """A version of `project` by id or name."""
        for version in self.versions.values():
            if version.project_id == project.id and (version.id == ident or version.name == name):
                return version
        return None

    def version_named(self, name: str) -> bool:
        """Whether any project has a version with this name or id."""
        return any(name.lower() in (v.name.lower(), v.id) for v in self.versions.values())

    def get_version(self, ident: str) -> Version:
        """The version with this id, or a 404."""
        if ident not in self.versions:
            raise JiraHTTPError(404, [f"Could not find version for id '{ident}'"])
        return self.versions[ident]

    def create_version(self, body: dict[str, Any]) -> Version:
        """Create a version from a `POST version` body (project key or projectId)."""
        with self.lock:
            ref = body.get("project") or str(body.get("projectId") or "")
            try:
                project = self.get_project(str(ref))
            except JiraHTTPError:
                raise JiraHTTPError(400, errors={"project": "Project must be specified."}) from None
            name = (body.get("name") or "").strip()
            if not name:
                raise JiraHTTPError(400, errors={"name": "You must specify a valid version name"})
            if self.find_version(project, None, name):
                msg = "A version with this name already exists in this project."
                raise JiraHTTPError(400, errors={"name": msg})
            version = Version(self.new_id("version"), project.id, name)
            self.versions[version.id] = version
            return self.edit_version(version.id, body)

    def edit_version(self, ident: str, body: dict[str, Any]) -> Version:
        """Apply a `PUT version/{id}` body."""
        with self.lock:
            version = self.get_version(ident)
            version.name = body.get("name", version.name)
            version.description = body.get("description", version.description)
            version.released = bool(body.get("released", version.released))
            version.archived = bool(body.get("archived", version.archived))
            version.release_date = body.get("releaseDate", version.release_date)
            version.start_date = body.get("startDate", version.start_date)
            return version
