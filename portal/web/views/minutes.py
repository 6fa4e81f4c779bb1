"""Minutes of mediation sessions: the case page's list, and the mediator's editor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.agreements import minutes, signing
from portal.agreements.models import DocumentStatus
from portal.cases import services as cases
from portal.cases.models import Case
from portal.db.types import utcnow
from portal.i18n import gettext_
from portal.mediation.labels import STATUS_LABELS
from portal.mediation.minutes import session_data
from portal.mediation.models import MediationSession, SessionStatus
from portal.storage import get_storage
from portal.web import panels
from portal.web.deps import CurrentUser, in_db
from portal.web.flash import flash
from portal.web.forms import Form, echo, read_form
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.case_forms import visible_case

ACTIONS = ("save", "finish", "reopen")


@dataclass(frozen=True)
class MinutesRow:
    session_id: int
    starts_at: dt.datetime
    status: str
    state: str  # none | draft | signing | signed
    signed: int
    required: int
    document_url: str | None
    editable: bool
    my_turn: bool  # this user can give the next signature now


def _rows(session: Session, case: Case, user: User) -> list[MinutesRow]:
    meetings = session.execute(select(MediationSession).where(
        MediationSession.case_id == case.id, MediationSession.status != SessionStatus.CANCELLED)
        .order_by(MediationSession.starts_at)).scalars()
    rows = []
    for meeting in meetings:
        row = minutes.minutes_of(session, meeting)
        document = minutes.document_of(session, row) if row is not None else None
        state = "none" if row is None else "draft"
        following = None
        if document is not None:
            state = "signed" if document.status is DocumentStatus.COMPLETE else "signing"
            following = signing.next_signer(document)
        rows.append(MinutesRow(
            meeting.id, meeting.starts_at, gettext_(STATUS_LABELS[meeting.status]), state,
            sum(1 for s in document.signers if s.signed_at) if document else 0,
            len(document.signers) if document else 0,
            f"/cases/{case.number}/documents/{document.id}" if document else None,
            meeting.mediator_id == user.id,
            following is not None and signing.how_may_sign(session, following, user) is not None))
    return rows


def _panel(session: Session, case: Case, user: User) -> dict[str, Any] | None:
    rows = [r for r in _rows(session, case, user) if r.editable or r.document_url]
    if not rows:
        return None
    return {"panel": "minutes", "number": case.number, "rows": rows}


panels.register(panels.Panel(name="minutes", template="agreements/_minutes_panel.html",
                             order=32, column="main", collect=_panel))


def _meeting(session: Session, current: CurrentUser, number: str,
             session_id: int) -> tuple[MediationSession, User]:
    case, user = visible_case(session, current, number)
    meeting = session.get(MediationSession, session_id)
    if meeting is None or meeting.case_id != case.id:
        raise HTTPException(404)
    if meeting.mediator_id != user.id:
        raise HTTPException(403)
    return meeting, user


async def _page(request: Request, current: CurrentUser, form: Form | None = None,
                status: int = 200) -> Response:
    number, session_id = request.path_params["number"], request.path_params["session_id"]

    def work(session: Session) -> dict[str, Any]:
        meeting, _ = _meeting(session, current, number, session_id)
        row = minutes.minutes_of(session, meeting)
        document = minutes.document_of(session, row) if row is not None else None
        data = session_data(session, meeting.id)
        saved = {"statements": row.statements, "process": row.process,
                 "outcome": row.outcome, "recorder": row.recorder,
                 "include_chat": "on" if row.include_chat else ""} if row else {
                     "recorder": meeting.mediator.name, "include_chat": "on"}
        return {"number": number, "meeting": meeting, "data": data, "saved": saved,
                "status": gettext_(STATUS_LABELS[meeting.status]),
                "finished": row is not None and row.finished_at is not None,
                "document_url": f"/cases/{number}/documents/{document.id}" if document else None,
                "complete": document is not None
                and document.status is DocumentStatus.COMPLETE}

    context = await in_db(work)
    values = echo(form) if form is not None and form.values else context["saved"]
    return render(request, "agreements/minutes.html",
                  {**context, "form": form or Form(), "values": values}, status)


@requires(Role.MEDIATOR)
async def editor(request: Request) -> Response:
    current = user_of(request)
    if request.method == "GET":
        return await _page(request, current)
    number, session_id = request.path_params["number"], request.path_params["session_id"]
    form = await read_form(request)
    action = form.get("action")
    if action not in ACTIONS:
        form.error("statements", "Unknown action.")
        return await _page(request, current, form, 400)
    sections = minutes.Sections(
        statements=form.get("statements"), process=form.get("process"),
        outcome=form.get("outcome"), recorder=form.get("recorder"),
        include_chat=form.get("include_chat") == "on")
    storage = get_storage()

    def work(session: Session) -> str | None:
        meeting, user = _meeting(session, current, number, session_id)
        now = utcnow()
        if action == "reopen":
            minutes.reopen(session, meeting=meeting, actor=user)
            return None
        minutes.save(session, meeting=meeting, actor=user, sections=sections, now=now)
        if action == "finish":
            document = minutes.finish(session, meeting=meeting, actor=user, storage=storage,
                                      now=now)
            return f"/cases/{number}/documents/{document.id}"
        return None

    try:
        target = await in_db(work)
    except cases.MissingInput as exc:
        form.error(exc.field, exc.message, **exc.params)
        return await _page(request, current, form, 400)
    except cases.NotAllowed:
        raise HTTPException(403) from None
    messages = {"save": "The minutes were saved.",
                "finish": "The minutes are finished. Each participant now signs them in turn.",
                "reopen": "The minutes are open for changes again; signatures given to the "
                          "finished text no longer count."}
    flash(request, gettext_(messages[action]))
    return RedirectResponse(target or f"/cases/{number}/sessions/{session_id}/minutes",
                            status_code=303)


ROUTES = [
    Route("/cases/{number}/sessions/{session_id:id}/minutes", editor,
          methods=["GET", "POST"], name="session_minutes"),
]
