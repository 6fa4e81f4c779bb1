"""Mediation sessions: the case page's panel, scheduling, cancelling, moving, the .ics file,
and the list of a person's upcoming sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.cases import access
from portal.cases import services as cases
from portal.cases.models import PARTICIPANT_LABELS, Case
from portal.cases.states import Actor
from portal.db.types import utcnow
from portal.deadlines.calendar import TIME_ZONE
from portal.i18n import gettext_
from portal.mediation import notices, queries
from portal.mediation import services as mediation
from portal.mediation.labels import (
    ATTENDANCE_LABELS,
    MODE_LABELS,
    REQUEST_LABELS,
    RESCHEDULED,
    ROLE_LABELS,
    SIDE_LABELS,
    STATUS_LABELS,
)
from portal.mediation.models import (
    MEDIATING,
    Attendance,
    InviteeRole,
    MediationSession,
    RequestStatus,
    RescheduleRequest,
    SessionStatus,
)
from portal.mediation.tokens import join_path
from portal.web import panels
from portal.web.convertors import row_id
from portal.web.deps import CurrentUser, in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, echo, form_from, read_form
from portal.web.pagination import Page, page_number
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.case_forms import panel_context, run, visible_case

PANEL = "sessions"
PAGE_SIZE = 20
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">
OPEN = (SessionStatus.SCHEDULED, SessionStatus.LIVE)


def parse_local(value: str) -> dt.datetime | None:
    """A datetime-local value, read as Asia/Shanghai time, in UTC; None if unreadable."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None or not 2000 <= moment.year <= 2100:
        return None
    return moment.replace(tzinfo=TIME_ZONE).astimezone(dt.UTC)


def local_input(moment: dt.datetime) -> str:
    return moment.astimezone(TIME_ZONE).strftime(LOCAL_INPUT)


@dataclass(frozen=True)
class PlanForm:
    form: Form
    invitees: list[int]
    in_person: list[int]

    def plan(self) -> dict[str, Any]:
        """The keyword arguments of mediation.schedule / reschedule."""
        raw = self.form.get("duration").strip()
        return {"starts_at": parse_local(self.form.get("starts_at")),
                "duration": int(raw) if raw.isdigit() and len(raw) < 5 else None,
                "mode": self.form.get("mode"), "location": self.form.get("location"),
                "participant_ids": self.invitees, "in_person_ids": self.in_person,
                "recording_requested": self.form.get("recording") == "yes"}


def _ids(values: list[Any]) -> list[int]:
    return [found for v in values if isinstance(v, str) and (found := row_id(v)) is not None]


async def read_plan(request: Request) -> PlanForm:
    async with request.form(max_files=0, max_fields=200) as data:
        form = form_from(data)
        invitees, in_person = _ids(data.getlist("invitee")), _ids(data.getlist("in_person"))
    # Checkbox lists travel back to a refused form as comma-separated ids.
    form.values["invitee"] = ",".join(map(str, invitees))
    form.values["in_person"] = ",".join(map(str, in_person))
    return PlanForm(form, invitees, in_person)


def _row(meeting: MediationSession, user: User, replaced: set[int],
         requests: list[RescheduleRequest], is_mediator: bool, now: dt.datetime
         ) -> dict[str, Any]:
    mine = queries.invitee_of(meeting, user.id)
    scheduled = meeting.status is SessionStatus.SCHEDULED
    open_mine = [r for r in requests if r.requested_by_id == user.id
                 and r.status is RequestStatus.OPEN]
    label = RESCHEDULED if meeting.id in replaced else STATUS_LABELS[meeting.status]
    return {
        "s": meeting, "status": gettext_(label), "mode": gettext_(MODE_LABELS[meeting.mode]),
        "active": meeting.status in OPEN,
        "invitees": [(i.name, gettext_(ROLE_LABELS[i.role]), gettext_(SIDE_LABELS[i.side]),
                      gettext_(ATTENDANCE_LABELS[i.attends]), i.removed_at is not None)
                     for i in meeting.invitees],
        "join": join_path(meeting, mine) if mine is not None and meeting.status in OPEN
        and mine.attends is Attendance.ONLINE else None,
        "calendar": mine is not None,
        "can_cancel": is_mediator and scheduled,
        "can_ask": mine is not None and mine.role in (InviteeRole.PARTY, InviteeRole.AGENT)
        and scheduled and meeting.starts_at > now and not open_mine,
        "requests": [(r, gettext_(REQUEST_LABELS[r.status])) for r in requests
                     if is_mediator or r.requested_by_id == user.id],
        "can_answer": is_mediator and scheduled,
    }


def _panel(session: Session, case: Case, user: User) -> dict[str, Any] | None:
    caps = access.capacities(session, case, user)
    is_mediator = Actor.MEDIATOR in caps
    can_schedule = is_mediator and case.status in MEDIATING
    meetings = queries.sessions_of_case(session, case.id)
    if not meetings and not can_schedule:
        return None
    now = utcnow()
    # Sessions to come first, soonest first; then the others, latest first.
    meetings.sort(key=lambda m: (m.status not in OPEN,
                                 m.starts_at.timestamp() * (1 if m.status in OPEN else -1)))
    requests = queries.requests_of(session, [m.id for m in meetings])
    replaced = {m.replaces_id for m in meetings if m.replaces_id is not None}
    return panel_context(
        PANEL, number=case.number, can_schedule=can_schedule,
        rows=[_row(m, user, replaced, [r for r in requests if r.session_id == m.id],
                   is_mediator, now) for m in meetings],
        people=people_options(case), min_start=local_input(now))


def people_options(case: Case) -> list[tuple[int, str]]:
    return [(p.id, f"{p.name} ({gettext_(PARTICIPANT_LABELS[p.role])})")
            for p in case.participants]


panels.register(panels.Panel(name=PANEL, template="sessions/_panel.html", order=30,
                             column="main", collect=_panel))


def _meeting(session: Session, current: CurrentUser,
             meeting_id: int) -> tuple[MediationSession, User]:
    """A session of a case the user may see (404 otherwise, as for the case itself)."""
    meeting = session.get(MediationSession, meeting_id)
    if meeting is None:
        raise HTTPException(404)
    _case, user = visible_case(session, current, meeting.case.number)
    return meeting, user


async def _number(current: CurrentUser, meeting_id: int) -> str:
    return await in_db(lambda s: _meeting(s, current, meeting_id)[0].case.number)


@requires(Role.MEDIATOR)
async def schedule(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    plan = await read_plan(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        mediation.schedule(session, case=case, actor=user, **plan.plan())

    return await run(request, current, number, panel=PANEL, form=plan.form, work=work,
                     done=gettext_("The session was scheduled; every invitee is being told."))


@requires(Role.MEDIATOR)
async def cancel(request: Request) -> Response:
    current, meeting_id = user_of(request), request.path_params["session_id"]
    number = await _number(current, meeting_id)
    form = await read_form(request)

    def work(session: Session) -> None:
        meeting, user = _meeting(session, current, meeting_id)
        mediation.cancel(session, meeting=meeting, actor=user, reason=form.get("reason"))

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("The session was cancelled; the invitees are told."))


@requires(Role.PARTY)
async def ask_to_reschedule(request: Request) -> Response:
    current, meeting_id = user_of(request), request.path_params["session_id"]
    number = await _number(current, meeting_id)
    form = await read_form(request)

    def work(session: Session) -> None:
        meeting, user = _meeting(session, current, meeting_id)
        mediation.request_reschedule(session, meeting=meeting, actor=user,
                                     reason=form.get("reason"), proposed=form.get("proposed"))

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("Your request was sent to the mediator."))


@requires(Role.MEDIATOR)
async def decline_request(request: Request) -> Response:
    current, meeting_id = user_of(request), request.path_params["session_id"]
    request_id = request.path_params["request_id"]
    number = await _number(current, meeting_id)
    form = await read_form(request)

    def work(session: Session) -> None:
        meeting, user = _meeting(session, current, meeting_id)
        row = session.get(RescheduleRequest, request_id)
        if row is None or row.session_id != meeting.id:
            raise HTTPException(404)
        mediation.decline_request(session, request=row, actor=user, answer=form.get("answer"))

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("Your answer was sent; the session stays as planned."))


def _prefill(meeting: MediationSession) -> dict[str, str]:
    parties = [i for i in meeting.invitees if i.participant_id is not None
               and i.removed_at is None]
    return {
        "starts_at": local_input(meeting.starts_at),
        "duration": str(meeting.duration_minutes), "mode": meeting.mode.value,
        "location": meeting.location, "recording": "yes" if meeting.recording_requested else "",
        "invitee": ",".join(str(i.participant_id) for i in parties),
        "in_person": ",".join(str(i.participant_id) for i in parties
                              if i.attends is Attendance.IN_PERSON),
    }


@requires(Role.MEDIATOR)
async def reschedule(request: Request) -> Response:
    """The reschedule form, prefilled with the session (and the party's request, if any)."""
    current, meeting_id = user_of(request), request.path_params["session_id"]
    raw_request = request.query_params.get("request", "")
    plan = await read_plan(request) if request.method == "POST" else None

    def page(session: Session) -> dict[str, Any]:
        meeting, user = _meeting(session, current, meeting_id)
        try:
            mediation.require_mediator(session, meeting.case, user)
        except cases.NotAllowed:
            raise HTTPException(403) from None
        asked = session.get(RescheduleRequest, int(raw_request)) if raw_request.isdigit() and (
            len(raw_request) < 10) else None
        if asked is not None:
            session.refresh(asked, ["requested_by"])  # read after the session closes
        return {"meeting": meeting, "case": meeting.case, "people": people_options(meeting.case),
                "asked": asked if asked and asked.session_id == meeting.id else None,
                "open": meeting.status is SessionStatus.SCHEDULED,
                "min_start": local_input(utcnow()), "prefill": _prefill(meeting)}

    if plan is None:
        ctx = await in_db(page)
        return render(request, "sessions/reschedule.html", {
            **ctx, "form": Form(), "typed": {**ctx["prefill"], "form": "move"}})

    def work(session: Session) -> str:
        meeting, user = _meeting(session, current, meeting_id)
        mediation.reschedule(session, meeting=meeting, actor=user, **plan.plan())
        return meeting.case.number

    try:
        number = await in_db(work)
    except cases.MissingInput as exc:
        plan.form.error(exc.field, exc.message, **exc.params)
        return render(request, "sessions/reschedule.html", {
            **await in_db(page), "form": plan.form, "typed": {**echo(plan.form), "form": "move"}},
            400)
    except cases.NotAllowed:
        raise HTTPException(403) from None
    flash(request, gettext_("The session was moved; every invitee is told the new time."))
    return RedirectResponse(f"/cases/{number}#{PANEL}", status_code=303)


@requires()
async def calendar_file(request: Request) -> Response:
    """The .ics of a session, for its invitees only."""
    current, meeting_id = user_of(request), request.path_params["session_id"]

    def work(session: Session) -> bytes:
        meeting, user = _meeting(session, current, meeting_id)
        invitee = queries.invitee_of(meeting, user.id)
        if invitee is None:
            raise HTTPException(404)
        return notices.calendar(session, meeting, invitee)

    body = await in_db(work)
    return Response(body, media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="mediation-session-{meeting_id}.ics"',
        "Cache-Control": "private, no-store"})


@requires(Role.MEDIATOR, Role.PARTY)
async def upcoming(request: Request) -> Response:
    current, number = user_of(request), page_number(request)

    def work(session: Session) -> Page[dict[str, Any]]:
        user, now = load_user(session, current), utcnow()
        query = queries.upcoming_query(user.id, now)
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(query.order_by(MediationSession.starts_at, MediationSession.id)
                               .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).scalars()
        items = [_row(m, user, set(), [], False, now) | {"case": m.case}
                 for m in rows]
        return Page(items, number, PAGE_SIZE, total)

    return render(request, "sessions/list.html", {"page": await in_db(work)})


ROUTES = [
    Route("/sessions", upcoming, name="sessions"),
    Route("/cases/{number}/sessions", schedule, methods=["POST"], name="session_schedule"),
    Route("/sessions/{session_id:id}/cancel", cancel, methods=["POST"], name="session_cancel"),
    Route("/sessions/{session_id:id}/reschedule", reschedule, methods=["GET", "POST"],
          name="session_reschedule"),
    Route("/sessions/{session_id:id}/reschedule-request", ask_to_reschedule,
          methods=["POST"], name="session_reschedule_request"),
    Route("/sessions/{session_id:id}/requests/{request_id:id}/decline", decline_request,
          methods=["POST"], name="session_request_decline"),
    Route("/sessions/{session_id:id}/calendar.ics", calendar_file, name="session_calendar"),
]
