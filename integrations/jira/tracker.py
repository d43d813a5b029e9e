"""`JiraTracker`: the Tracker protocol on one Jira project, plus versions, epics and checks.

Capabilities: ParentMaker (the release epic, with a remote link to controlbot's release page),
RepositorySetup (the version; Jira labels need no setup), Assignable (one assignee, by Cloud
accountId or Data Center username) and RepositoryAccess (who may edit;
Jira has no config file and no comment reactions, so `read_config` answers the text it was
given and `react` does nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from jira import JIRA

from integrations.capabilities import LabelSpec
from integrations.errors import TrackerRejected
from integrations.jira import access, check, creating, moving
from integrations.jira.api import KEY_CHUNK, JiraApi
from integrations.jira.config import BASE_LABEL, JiraProjectConfig
from integrations.jira.mapping import jql_string, key_label
from integrations.jira.meta import EpicFields, ProjectMeta
from integrations.jira.payloads import CreateContext, issue_fields
from integrations.jira.reading import STATE_FIELDS, first_by_label, remote_state, states_for_refs
from integrations.tracker import EnsureResult, ItemRef, ItemSpec, OnEnsured, RemoteState, WorkState


class JiraTracker:
    """Keep controls as issues of one Jira project, idempotent on each item's key label."""

    name = "jira"
    notes_with_state = True

    def __init__(
        self,
        client: JIRA,
        config: JiraProjectConfig,
        *,
        release_page: str | None = None,
        release_config: str | None = None,
    ) -> None:
        """Wrap a ready client; `release_page` is the base URL the epic links back to."""
        self.config = config
        self.release_page = release_page.rstrip("/") if release_page else None
        self.release_config = release_config
        self._api = JiraApi(client, cloud=config.is_cloud)
        self._meta: ProjectMeta | None = None
        self._epic_fields: EpicFields | None = None
        self._epics: dict[str, ItemRef] = {}

    # -- metadata ---------------------------------------------------------------------

    def _load_meta(self) -> ProjectMeta:
        """Read the project (id, issue types, components, versions) and keep it."""
        self._meta = ProjectMeta.from_json(self._api.get(f"project/{self.config.project_key}"))
        return self._meta

    def _context(self) -> CreateContext:
        """Ids for create payloads: the project once, and on Data Center the epic fields once."""
        meta = self._meta or self._load_meta()
        if not self.config.is_cloud and self._epic_fields is None:
            self._epic_fields = EpicFields.from_fields(self._api.get("field"))
        return CreateContext(self.config, meta, self._epic_fields)

    def _ref(self, raw: Mapping[str, Any]) -> ItemRef:
        """An ItemRef from an issue or a create answer (`{id, key, self}`)."""
        key = str(raw["key"])
        return ItemRef(self.name, key, self._api.browse_url(key), internal_id=str(raw["id"]))

    # -- releases: versions and epics -------------------------------------------------

    def ensure_version(self, name: str, *, release_date: date | None = None) -> str:
        """The id of the project version called `name`, creating it when missing."""
        meta = self._load_meta()
        if name in meta.versions:
            return meta.versions[name]
        body: dict[str, Any] = {"name": name, "projectId": int(meta.id)}
        if release_date is not None:
            body["releaseDate"] = release_date.isoformat()
        try:
            version_id = str(self._api.post("version", body)["id"])
        except TrackerRejected:
            again = self._load_meta()  # another run may have created it meanwhile
            if name in again.versions:
                return again.versions[name]
            raise
        self._meta = replace(meta, versions={**meta.versions, name: version_id})
        return version_id

    def ensure_epic(self, spec: ItemSpec, *, version: str) -> ItemRef:
        """Find or create the release epic for `spec.key`, with fixVersion `version` (a name)."""
        # Items ensured later with `milestone == version` get this epic as their parent.
        ref = self.find_item(spec.key) or self._create_epic(spec, version)
        self._epics[version] = ref
        return ref

    def _create_epic(self, spec: ItemSpec, version: str) -> ItemRef:
        """Create the epic of `spec` with fixVersion `version`."""
        fields = issue_fields(spec, self._context(), epic=True, version=version)
        return self._ref(self._api.post("issue", {"fields": fields}))

    def ensure_parent(self, spec: ItemSpec, *, maybe_exist: bool) -> EnsureResult:
        """The release epic (fixVersion = `spec.milestone`), linked back to the release page."""
        if not spec.milestone:
            raise TrackerRejected(f"the release epic {spec.key} needs a version (milestone)")
        found = self.find_item(spec.key) if maybe_exist else None
        ref = found or self._create_epic(spec, spec.milestone)
        self._epics.setdefault(spec.milestone, ref)
        if self.release_page:
            url = f"{self.release_page}/releases/{spec.key}"
            self.add_link(ref, url, f"controlbot: {spec.title}", f"controlbot:{spec.key}")
        return EnsureResult(spec, ref, created=found is None)

    def ensure_milestone(self, title: str, *, due_on: date | None) -> None:
        """The release's version (fixVersion), created when missing."""
        self.ensure_version(title, release_date=due_on)

    def ensure_labels(self, labels: Sequence[LabelSpec]) -> None:
        """Nothing to do: Jira creates a label when an issue first carries it."""

    def _find_epics(self, specs: Sequence[ItemSpec]) -> None:
        """Find the epics of versions this run has not ensured (a resumed sync), in one search."""
        # Keys are `<release>:<control>` and the release epic's key is `<release>`.
        wanted = {
            spec.milestone: spec.key.rsplit(":", 1)[0]
            for spec in specs
            if spec.milestone and spec.milestone not in self._epics and ":" in spec.key
        }
        found = self.find_items(list(dict.fromkeys(wanted.values()))) if wanted else {}
        for version, release_key in wanted.items():
            if release_key in found:
                self._epics[version] = found[release_key]

    # -- Tracker protocol ---------------------------------------------------------------

    def find_item(self, key: str) -> ItemRef | None:
        """The issue carrying `key`'s label; None only when the search positively finds none."""
        return self.find_items([key]).get(key)

    def find_items(self, keys: Sequence[str]) -> dict[str, ItemRef]:
        """Issues carrying the keys' labels, by key (the oldest one when duplicated)."""
        labels = {key_label(key): key for key in keys}
        wanted = list(labels)
        found: dict[str, ItemRef] = {}
        for start in range(0, len(wanted), KEY_CHUNK):
            chunk = wanted[start : start + KEY_CHUNK]
            jql = (
                f"project = {jql_string(self.config.project_key)} AND labels in "
                f"({', '.join(jql_string(label) for label in chunk)})"
            )
            hits = first_by_label(self._api.search(jql, ["labels"]), chunk)
            found |= {labels[label]: self._ref(issue) for label, issue in hits.items()}
        return found

    def ensure_items(
        self,
        specs: Sequence[ItemSpec],
        *,
        maybe_exist: bool,
        on_ensured: OnEnsured,
        epic: ItemRef | None = None,
    ) -> None:
        """Create each spec once, 50 per bulk call; with `maybe_exist`, find existing ones first."""
        # The parent is `epic`, else the epic ensured for the spec's milestone. Refused elements
        # are retried once; any still refused raise TrackerRejected after every success was
        # reported through `on_ensured`.
        pending = list(specs)
        if maybe_exist and pending:
            existing = self.find_items([spec.key for spec in pending])
            for spec in pending:
                if spec.key in existing:
                    on_ensured(EnsureResult(spec, existing[spec.key], created=False))
            pending = [spec for spec in pending if spec.key not in existing]
        if not pending:
            return
        context = self._context()
        if epic is None:
            self._find_epics(pending)

        def build(spec: ItemSpec) -> dict[str, Any]:
            """Create fields for one control under its epic."""
            parent = epic or self._epics.get(spec.milestone or "")
            return issue_fields(spec, context, parent_key=parent.external_id if parent else None)

        creating.create_all(
            self._api, pending, build=build, to_ref=self._ref, on_ensured=on_ensured
        )

    def set_state(self, ref: ItemRef, state: WorkState, *, note: str | None = None) -> bool:
        """Transition the issue so it shows `state`, the note a comment in the same request."""
        # Nothing is written, not even the note, when the issue already shows `state` (False).
        why = note or f"controlbot: this control is now {state.value.replace('_', ' ')}."
        return moving.move_to(self._api, self.config, ref.external_id, state, why)

    def set_assignees(self, ref: ItemRef, logins: Sequence[str]) -> None:
        """Make this person (Cloud accountId, Data Center username) the issue's one assignee."""
        if len(logins) > 1:
            raise TrackerRejected(f"a Jira issue has one assignee, not {len(logins)}")
        access.assign(self._api, ref.external_id, logins[0] if logins else None)

    def comment(self, ref: ItemRef, body: str) -> None:
        """Post a comment on the issue."""
        self._api.post(f"issue/{ref.external_id}/comment", {"body": body})

    def add_link(self, ref: ItemRef, url: str, title: str, global_id: str) -> None:
        """Add a remote link, or update the one with the same `global_id`."""
        body = {"globalId": global_id, "object": {"url": url, "title": title}}
        self._api.post(f"issue/{ref.external_id}/remotelink", body)

    def fetch_states(self, refs: Sequence[ItemRef]) -> list[RemoteState]:
        """Current states by `key in (...)` in chunks of 50; deleted issues are left out."""
        issues = self._api.search_keys([ref.external_id for ref in refs], STATE_FIELDS)
        return states_for_refs(issues, refs, self.config)

    def search_release(self, label_or_version: str) -> list[RemoteState]:
        """States of controlbot's issues (epic included) with this fixVersion, else this label."""
        versions = self._api.get(f"project/{self.config.project_key}/versions") or []
        value = jql_string(label_or_version)
        is_version = any(v.get("name") == label_or_version for v in versions)
        clause = f"fixVersion = {value}" if is_version else f"labels = {value}"
        jql = (
            f"project = {jql_string(self.config.project_key)} AND labels = {jql_string(BASE_LABEL)}"
            f" AND {clause} ORDER BY key ASC"
        )
        issues = self._api.search(jql, STATE_FIELDS)
        states = (remote_state(issue, self._ref(issue), self.config) for issue in issues)
        return [state for state in states if state is not None]

    # -- RepositoryAccess -------------------------------------------------------------

    def permission(self, login: str) -> str:
        """`write` when the user may edit issues of the project, else `none`."""
        allowed = access.may_edit(
            self._api, login, issue_key=None, project_key=self.config.project_key
        )
        return "write" if allowed else "none"

    def can_edit(self, ref: ItemRef, login: str) -> bool:
        """Whether the user may edit this very issue (issue security included)."""
        return access.may_edit(
            self._api, login, issue_key=ref.external_id, project_key=self.config.project_key
        )

    def read_config(self, path: str) -> str | None:
        """The release config this tracker was given: Jira projects hold no config file."""
        return self.release_config

    def react(self, comment_id: int, content: str) -> None:
        """Nothing: Jira's REST API has no reactions on comments."""

    def latest_comment(self, ref: ItemRef, *, author: str) -> str | None:
        """The newest comment by `author` on the issue."""
        return access.latest_comment_by(self._api, ref.external_id, author)

    def whoami(self) -> list[str]:
        """The ids webhooks use for this client's user: Cloud accountId, DC name and key."""
        me = self._api.get("myself") or {}
        return [str(me[k]) for k in access.USER_IDS if me.get(k)]

    def check_project(self) -> list[str]:
        """Problems that would stop controlbot in this project (empty when all is well)."""
        return check.check_project(self._api, self.config)
