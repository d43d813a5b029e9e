"""The fake Jira, driven by the real `jira` client over HTTP, in Cloud and Data Center modes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from jira import JIRA, JIRAError

from tests.fakes.jira import FakeJira, create_fake_jira_app
from tests.fakes.serving import serve_in_thread

JIRA_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
TASK = {"project": {"key": "CTRL"}, "issuetype": {"name": "Task"}}


@dataclass
class Site:
    """A running fake and how to reach it."""

    fake: FakeJira
    base: str

    def client(self, **options: Any) -> JIRA:
        """A real `jira.JIRA` with the right credentials for the mode and no retries."""
        if self.fake.is_cloud:
            auth: dict[str, Any] = {"basic_auth": (self.fake.email, self.fake.api_token)}
        else:
            auth = {"token_auth": self.fake.pat}
        return JIRA(server=self.base, max_retries=0, options=options or None, **auth)


@pytest.fixture(scope="module")
def sites() -> Iterator[dict[str, Site]]:
    """One fake server per mode for the whole module."""
    with ExitStack() as stack:
        found = {}
        for mode in ("cloud", "dc"):
            fake = FakeJira(mode)
            base = stack.enter_context(serve_in_thread(create_fake_jira_app(fake)))
            found[mode] = Site(fake, base)
        yield found


@pytest.fixture(params=["cloud", "dc"])
def site(request: pytest.FixtureRequest, sites: dict[str, Site]) -> Site:
    """Each mode in turn, freshly reset."""
    chosen = sites[request.param]
    chosen.fake.reset()
    return chosen


@pytest.fixture
def cloud(sites: dict[str, Site]) -> Site:
    """The Cloud fake, freshly reset."""
    sites["cloud"].fake.reset()
    return sites["cloud"]


@pytest.fixture
def dc(sites: dict[str, Site]) -> Site:
    """The Data Center fake, freshly reset."""
    sites["dc"].fake.reset()
    return sites["dc"]


@pytest.fixture
def jira(site: Site) -> Iterator[JIRA]:
    """A client for the parametrised site."""
    client = site.client()
    yield client
    client.close()


def task(summary: str, **extra: Any) -> dict[str, Any]:
    """Fields for a Task in CTRL."""
    return {**TASK, "summary": summary, **extra}


def bulk(client: JIRA, count: int, **extra: Any) -> list[str]:
    """Create `count` tasks with bulk calls of 50; returns their keys."""
    keys: list[str] = []
    for start in range(0, count, 50):
        batch = [task(f"t{n}", **extra) for n in range(start, min(count, start + 50))]
        keys += [r["issue"].key for r in client.create_issues(batch, prefetch=False)]
    return keys


def test_server_info_and_myself(site: Site, jira: JIRA) -> None:
    """serverInfo drives the library's Cloud/DC switch; myself has Cloud or DC identity."""
    info = jira.server_info()
    me = jira.myself()
    if site.fake.is_cloud:
        assert (info["deploymentType"], jira._is_cloud) == ("Cloud", True)
        assert "accountId" in me and "name" not in me
    else:
        assert (info["deploymentType"], jira._is_cloud) == ("Server", False)
        assert me["name"] == "controlbot" and me["key"].startswith("JIRAUSER")
    assert info["baseUrl"] == site.base
    assert me["self"].startswith(site.base + "/rest/api/2/user?")


def test_project_issue_types_and_fields(site: Site, jira: JIRA) -> None:
    """Projects by key and id carry Epic/Task/Story; DC lists an Epic Link custom field."""
    project = jira.project("CTRL")
    assert jira.project(project.id).key == "CTRL"
    assert [p.key for p in jira.projects()] == ["CTRL"]
    assert {it.name: it.id for it in project.issueTypes} == {
        "Epic": "10000",
        "Task": "10001",
        "Story": "10002",
    }
    assert project.self.startswith(site.base)
    epic_link = [f for f in jira.fields() if f["name"] == "Epic Link"]
    if site.fake.is_cloud:
        assert epic_link == []
        with pytest.raises(JIRAError, match="Unsupported JIRA deployment"):
            jira.project_issue_types("CTRL")
    else:
        assert epic_link[0]["id"] == "customfield_10100"
        assert [t.name for t in jira.project_issue_types("CTRL")] == ["Epic", "Task", "Story"]
        fields = {f.fieldId: f.required for f in jira.project_issue_fields("CTRL", "10000")}
        assert fields["summary"] and fields["customfield_10101"] and not fields["labels"]


def test_createmeta_fields_on_cloud(cloud: Site) -> None:
    """Cloud's createmeta answers with `fields` and marks required ones."""
    client = cloud.client()
    cloud.fake.require_field("CTRL", "labels")
    meta = client._get_json("issue/createmeta/CTRL/issuetypes/10001")
    required = {f["fieldId"] for f in meta["fields"] if f["required"]}
    assert required == {"project", "issuetype", "summary", "labels"}


def test_create_issue_and_read_back(site: Site, jira: JIRA) -> None:
    """create_issue with name strings (library looks them up) returns the stored issue."""
    issue = jira.create_issue(
        project="CTRL", issuetype="Task", summary="Write eval plan", description="d", labels=["ai"]
    )
    assert issue.key == "CTRL-1"
    assert issue.self == f"{site.base}/rest/api/2/issue/{issue.id}"
    assert (issue.fields.summary, issue.fields.description, issue.fields.labels) == (
        "Write eval plan",
        "d",
        ["ai"],
    )
    assert issue.fields.status.name == "To Do"
    assert issue.fields.status.statusCategory.key == "new"
    assert issue.fields.resolution is None
    assert JIRA_TIME.match(issue.fields.created) and JIRA_TIME.match(issue.fields.updated)
    only = jira.issue("CTRL-1", fields="summary")
    assert list(only.raw["fields"]) == ["summary"]
    issue.update(summary="Renamed", labels=[{"add": "risk"}])
    assert (issue.fields.summary, issue.fields.labels) == ("Renamed", ["ai", "risk"])
    issue.delete()
    with pytest.raises(JIRAError) as err:
        jira.issue("CTRL-1")
    assert err.value.status_code == 404


def test_epic_parent_cloud_and_epic_link_dc(site: Site, jira: JIRA) -> None:
    """Cloud links to an epic with `parent`; DC needs Epic Name and uses the Epic Link field."""
    if site.fake.is_cloud:
        epic = jira.create_issue(fields={**TASK, "issuetype": {"name": "Epic"}, "summary": "E"})
        child = jira.create_issue(fields=task("c", parent={"key": epic.key}))
        assert child.fields.parent.key == epic.key
        return
    with pytest.raises(JIRAError, match="Epic Name is required"):
        jira.create_issue(fields={**TASK, "issuetype": {"name": "Epic"}, "summary": "E"})
    epic = jira.create_issue(
        fields={**TASK, "issuetype": {"name": "Epic"}, "summary": "E", "customfield_10101": "E"}
    )
    child = jira.create_issue(fields=task("c", customfield_10100=epic.key))
    assert child.raw["fields"]["customfield_10100"] == epic.key


def test_create_issue_validation_errors(site: Site, jira: JIRA) -> None:
    """Missing required fields and fields not on the screen give 400 with field messages."""
    with pytest.raises(JIRAError) as err:
        jira.create_issue(fields=TASK)
    assert err.value.status_code == 400
    assert err.value.text == "You must specify a summary of the issue."
    site.fake.require_field("CTRL", "components")
    with pytest.raises(JIRAError, match="Component/s is required."):
        jira.create_issue(fields=task("x"))
    site.fake.add_component("CTRL", "Evals")
    assert jira.create_issue(fields=task("x", components=[{"name": "Evals"}])).key == "CTRL-1"
    foreign = "customfield_10100" if site.fake.is_cloud else "parent"
    with pytest.raises(JIRAError, match="not on the appropriate screen"):
        jira.create_issue(fields=task("x", components=[{"name": "Evals"}], **{foreign: "CTRL-1"}))


def test_bulk_create_reports_partial_failure(site: Site, jira: JIRA) -> None:
    """One bad element fails alone; the library maps results back by position."""
    results = jira.create_issues([task("a"), TASK, task("c")], prefetch=False)
    assert [r["status"] for r in results] == ["Success", "Error", "Success"]
    assert results[1]["error"] == {"summary": "You must specify a summary of the issue."}
    assert [r["issue"].key for r in results if r["issue"]] == ["CTRL-1", "CTRL-2"]
    assert site.fake.count("POST", r"/issue/bulk$") == 1


def test_bulk_all_failed_and_over_limit(site: Site, jira: JIRA) -> None:
    """All elements failing is a 400 the library still parses; more than 50 is refused."""
    results = jira.create_issues([TASK, TASK], prefetch=False)
    assert [r["status"] for r in results] == ["Error", "Error"]
    body = json.dumps({"issueUpdates": [{"fields": task(str(n))} for n in range(51)]})
    with pytest.raises(JIRAError) as err:
        jira._session.post(jira._get_url("issue/bulk"), data=body)
    assert err.value.status_code == 400 and "maximum is 50" in str(err.value.text)
    assert site.fake.issues == {}


def test_transitions_and_disallowed_one(site: Site, jira: JIRA) -> None:
    """Only transitions from the current status are offered; others answer 400."""
    key = jira.create_issue(fields=task("t")).key
    offered = {
        t["id"]: (t["name"], t["to"]["statusCategory"]["key"]) for t in jira.transitions(key)
    }
    assert offered == {"21": ("In Progress", "indeterminate"), "41": ("Won't Do", "done")}
    with pytest.raises(JIRAError) as err:
        jira.transition_issue(key, "31")
    assert (err.value.status_code, err.value.text) == (
        400,
        "Transition id '31' is not valid for this issue.",
    )
    jira.transition_issue(key, "21")
    expanded = jira.transitions(key, expand="transitions.fields")
    done = next(t for t in expanded if t["id"] == "31")
    assert "resolution" in done["fields"]
    jira.transition_issue(key, "31", comment="shipped")
    issue = jira.issue(key)
    assert (issue.fields.status.name, issue.fields.resolution.name) == ("Done", "Done")
    assert [c.body for c in jira.comments(key)] == ["shipped"]


def test_wont_do_sets_resolution_and_reopen_clears_it(site: Site, jira: JIRA) -> None:
    """Won't Do is a done-category status with resolution Won't Do; Reopen clears it."""
    key = jira.create_issue(fields=task("t")).key
    jira.transition_issue(key, "41")
    issue = jira.issue(key)
    assert issue.fields.status.statusCategory.key == "done"
    assert issue.fields.resolution.name == "Won't Do"
    assert jira.search_issues('resolution = "Won\'t Do"')[0].key == key
    jira.transition_issue(key, "Reopen")
    assert jira.issue(key).fields.resolution is None
    jira.transition_issue(key, "41", fields={"resolution": {"name": "Duplicate"}})
    assert jira.issue(key).fields.resolution.name == "Duplicate"


def test_fake_side_status_helpers(site: Site, jira: JIRA) -> None:
    """Tests move issues as a user; the change carries webhook changelog data."""
    key = jira.create_issue(fields=task("t")).key
    with pytest.raises(ValueError, match="no transition"):
        site.fake.transition(key, "Done")
    change = site.fake.transition(key, "In Progress")
    assert change.changelog_item() == {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": "10000",
        "fromString": "To Do",
        "to": "10001",
        "toString": "In Progress",
    }
    forced = site.fake.set_status(key, "Won't Do")
    assert (forced.to_status.category, forced.resolution) == ("done", "Won't Do")
    assert jira.issue(key).fields.status.name == "Won't Do"


def test_versions_and_fix_versions(site: Site, jira: JIRA) -> None:
    """Versions are created, attached as fixVersions, searched and released."""
    if site.fake.is_cloud:
        version = jira.create_version("2026.1", project="CTRL", releaseDate="2026-12-01")
    else:
        body = json.dumps({"name": "2026.1", "project": "CTRL", "releaseDate": "2026-12-01"})
        raw = jira._session.post(jira._get_url("version"), data=body).json()
        version = jira.version(raw["id"])
    assert version.self == f"{site.base}/rest/api/2/version/{version.id}"
    assert jira.get_project_version_by_name("CTRL", "2026.1").id == version.id
    key = jira.create_issue(fields=task("t", fixVersions=[{"name": "2026.1"}])).key
    assert [v.name for v in jira.issue(key).fields.fixVersions] == ["2026.1"]
    assert [i.key for i in jira.search_issues('project = CTRL AND fixVersion = "2026.1"')] == [key]
    version.update(released=True)
    assert jira.version(version.id).released is True
    with pytest.raises(JIRAError, match="Version name 'nope' is not valid"):
        jira.create_issue(fields=task("t", fixVersions=[{"name": "nope"}]))


def test_comments(site: Site, jira: JIRA) -> None:
    """Comments are added and listed with their author."""
    key = jira.create_issue(fields=task("t")).key
    comment = jira.add_comment(key, "first")
    assert comment.self.startswith(site.base) and JIRA_TIME.match(comment.created)
    jira.add_comment(key, "second")
    assert [c.body for c in jira.comments(key)] == ["first", "second"]
    assert jira.comment(key, comment.id).body == "first"


def test_remote_links_upsert_by_global_id(site: Site, jira: JIRA) -> None:
    """Simple links always add; a repeated globalId updates the existing link."""
    key = jira.create_issue(fields=task("t")).key
    jira.add_simple_link(key, {"url": "https://example.com/a", "title": "A"})
    jira.add_simple_link(key, {"url": "https://example.com/a", "title": "A"})
    gid = "https://github.com/o/r/issues/1"
    with pytest.warns(Warning, match="applicationlinks"):
        first = jira.add_remote_link(key, {"url": gid, "title": "#1"}, globalId=gid)
    with pytest.warns(Warning, match="applicationlinks"):
        again = jira.add_remote_link(key, {"url": gid, "title": "#1 renamed"}, globalId=gid)
    assert first.id == again.id
    links = jira.remote_links(key)
    assert len(links) == 3
    assert [link.object.title for link in links if getattr(link, "globalId", None) == gid] == [
        "#1 renamed"
    ]


def test_cloud_enhanced_search_pages_with_next_page_token(cloud: Site) -> None:
    """search/jql pages by nextPageToken (no total); fetching all follows the tokens."""
    client = cloud.client()
    keys = bulk(client, 60, labels=["ctrl"])
    first = client.enhanced_search_issues("project = CTRL AND labels = ctrl ORDER BY key")
    assert [i.key for i in first] == keys[:50] and first.nextPageToken
    rest = client.enhanced_search_issues(
        "project = CTRL AND labels = ctrl ORDER BY key", nextPageToken=first.nextPageToken
    )
    assert [i.key for i in rest] == keys[50:] and rest.nextPageToken is None
    before = cloud.fake.count("GET", r"/search/jql$")
    assert [i.key for i in client.search_issues("project = CTRL", maxResults=False)] == keys
    assert cloud.fake.count("GET", r"/search/jql$") - before == 2
    ids_only = client.enhanced_search_issues("key in (CTRL-1, CTRL-2)", fields="", json_result=True)
    assert ids_only == {"issues": [{"id": "10000"}, {"id": "10001"}], "isLast": True}
    with pytest.raises(JIRAError, match="deprecated in Jira Cloud"):
        client.search_issues("project = CTRL", startAt=5)


def test_cloud_classic_search_is_gone(cloud: Site) -> None:
    """Cloud answers the removed /search with 410 Gone."""
    client = cloud.client()
    with pytest.raises(JIRAError) as err:
        client._get_json("search", params={"jql": "project = CTRL"})
    assert err.value.status_code == 410 and "CHANGE-2046" in str(err.value.text)


def test_dc_search_pages_with_start_at_and_total(dc: Site) -> None:
    """Data Center search pages by startAt with a total; there is no search/jql."""
    client = dc.client()
    keys = bulk(client, 60)
    page = client.search_issues("project = CTRL ORDER BY key", maxResults=50)
    assert ([i.key for i in page], page.total) == (keys[:50], 60)
    tail = client.search_issues("project = CTRL ORDER BY key", startAt=50, maxResults=50)
    assert [i.key for i in tail] == keys[50:]
    assert [i.key for i in client.search_issues("project = CTRL", maxResults=False)] == keys
    assert client.enhanced_search_issues("project = CTRL") is None
    with pytest.raises(JIRAError) as err:
        client._get_json("search/jql", params={"jql": "project = CTRL"})
    assert err.value.status_code == 404


def test_jql_subset(site: Site, jira: JIRA) -> None:
    """key in, issuekey =, labels and AND work; unknown fields and keys are 400s."""
    bulk(jira, 3, labels=["x"])
    jira.create_issue(fields=task("other"))
    assert [i.key for i in jira.search_issues("key in (CTRL-3, CTRL-1)")] == ["CTRL-1", "CTRL-3"]
    assert [i.key for i in jira.search_issues("issuekey = CTRL-2")] == ["CTRL-2"]
    assert len(jira.search_issues("project = CTRL AND labels = x")) == 3
    assert [i.key for i in jira.search_issues("project = CTRL AND labels is EMPTY")] == ["CTRL-4"]
    with pytest.raises(JIRAError, match="does not exist or you do not have permission"):
        jira.search_issues("bogus = 1")
    with pytest.raises(JIRAError, match="An issue with key 'CTRL-99' does not exist"):
        jira.search_issues("key in (CTRL-1, CTRL-99)")


def test_rate_limit_surfaces_as_429_with_retry_after(site: Site, jira: JIRA) -> None:
    """With max_retries=0 a 429 is raised at once, carrying Retry-After and X-RateLimit-*."""
    site.fake.rate_limit_next(1, retry_after=7)
    with pytest.raises(JIRAError) as err:
        jira.project("CTRL")
    assert err.value.status_code == 429
    assert err.value.response is not None
    headers = err.value.response.headers
    assert headers["Retry-After"] == "7" and headers["X-RateLimit-Remaining"] == "0"
    assert jira.project("CTRL").key == "CTRL"
    assert site.fake.count("GET", r"/project/CTRL$") == 2


def test_fail_next_by_path_and_ghost_create(site: Site, jira: JIRA) -> None:
    """5xx can target a path; a ghost create stores the issue but answers 500."""
    site.fake.fail_next(1, status=502, path_pattern=r"/comment$")
    key = jira.create_issue(fields=task("t")).key
    with pytest.raises(JIRAError) as err:
        jira.add_comment(key, "lost")
    assert err.value.status_code == 502
    site.fake.ghost_create_next()
    with pytest.raises(JIRAError) as err:
        jira.create_issue(fields=task("ghost"))
    assert err.value.status_code == 500
    assert [i.fields.summary for i in jira.search_issues("project = CTRL")] == ["t", "ghost"]


def test_bad_credentials_are_401(site: Site) -> None:
    """Wrong credentials fail already in the constructor's serverInfo call."""
    with pytest.raises(JIRAError) as err:
        if site.fake.is_cloud:
            JIRA(server=site.base, basic_auth=(site.fake.email, "wrong"), max_retries=0)
        else:
            JIRA(server=site.base, token_auth="wrong", max_retries=0)
    assert err.value.status_code == 401


def test_rest_v3_uses_adf(cloud: Site) -> None:
    """Under /rest/api/3 descriptions and comments come back as ADF documents."""
    client = cloud.client(rest_api_version="3")
    adf = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}],
    }
    issue = client.create_issue(fields=task("v3", description=adf))
    assert issue.self.startswith(f"{cloud.base}/rest/api/3/issue/")
    assert issue.raw["fields"]["description"] == adf
    assert cloud.fake.issue(issue.key).fields["description"] == "hi"
