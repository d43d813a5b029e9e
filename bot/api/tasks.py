"""`/api/releases/{ref}/tasks`: list tasks, read one with its history, set status, add evidence."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from sqlmodel import Session

from bot.access import Reader, Writer
from bot.api.lookup import ERRORS as _ERRORS
from bot.api.lookup import release_task, task_urls, visible_release
from bot.api.releases import task_out
from bot.api.schemas import ChangeOut, EvidenceIn, StatusChangeIn, TaskChanged, TaskDetail, TaskOut
from control_catalog import Function, Priority
from workflows.errors import InvalidTransition, JustificationRequired
from workflows.evidence import add_evidence
from workflows.mirror import change_status
from workflows.releases import release_tasks
from workflows.status import ChangeSource, ControlStatus
from workflows.tasks import task_history

router = APIRouter(prefix="/api/releases/{ref}/tasks", tags=["tasks"])


@router.get("", response_model=list[TaskOut], responses=_ERRORS)
def list_tasks(
    ref: str,
    request: Request,
    caller: Reader,
    status: ControlStatus | None = None,
    function: Function | None = None,
    priority: Priority | None = None,
    owner: str | None = None,
) -> list[TaskOut]:
    """A release's tasks in plan order, optionally filtered."""
    with Session(request.app.state.engine) as session:
        release = visible_release(session, caller, ref)
        urls = task_urls(session, release)
        return [
            task_out(t, urls.get(t.id or 0))
            for t in release_tasks(session=session, release=release)
            if (status is None or t.status == status)
            and (function is None or t.function == function)
            and (priority is None or t.priority == priority)
            and (owner is None or t.owner == owner)
        ]


@router.get("/{control_id}", response_model=TaskDetail, responses=_ERRORS)
def get_task(ref: str, control_id: str, request: Request, caller: Reader) -> TaskDetail:
    """One task with its audit trail."""
    with Session(request.app.state.engine) as session:
        release = visible_release(session, caller, ref)
        task = release_task(session, release, control_id)
        out = task_out(task, task_urls(session, release).get(task.id or 0))
        history = [
            ChangeOut(
                at=c.at,
                from_status=c.from_status,
                to_status=c.to_status,
                actor=c.actor,
                source=c.source.value,
                note=c.note,
            )
            for c in task_history(session=session, task=task)
        ]
        return TaskDetail(**out.model_dump(), release=release.slug, history=history)


@router.post(
    "/{control_id}/status",
    response_model=TaskChanged,
    responses={**_ERRORS, 403: {}, 409: {"description": "the status table forbids the move"}},
)
def set_status(
    ref: str, control_id: str, body: StatusChangeIn, request: Request, caller: Writer
) -> TaskChanged:
    """Move a task through the status table; the tracker follows through the outbox."""
    now = datetime.now(UTC)
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        release = visible_release(session, caller, ref)
        task = release_task(session, release, control_id)
        try:
            changed = change_status(
                session=session,
                task=task,
                status=body.status,
                actor=caller.name,
                source=ChangeSource.API,
                now=now,
                note=body.justification,
            )
        except JustificationRequired as exc:
            raise _field_error("justification", str(exc)) from None
        except InvalidTransition as exc:
            raise HTTPException(409, str(exc)) from None
        return TaskChanged(
            changed=changed, task=task_out(task, task_urls(session, release).get(task.id or 0))
        )


def _field_error(field: str, message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, naming the body field."""
    return HTTPException(422, [{"loc": ["body", field], "msg": message, "type": "value_error"}])


@router.post("/{control_id}/evidence", response_model=TaskChanged, responses={**_ERRORS, 403: {}})
def post_evidence(
    ref: str, control_id: str, body: EvidenceIn, request: Request, caller: Writer
) -> TaskChanged:
    """Attach an evidence link to a task (a repeat of the same link changes nothing)."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        release = visible_release(session, caller, ref)
        task = release_task(session, release, control_id)
        changed = add_evidence(
            session=session, task=task, url=str(body.url), actor=caller.name, now=datetime.now(UTC)
        )
        return TaskChanged(
            changed=changed, task=task_out(task, task_urls(session, release).get(task.id or 0))
        )
