"""The mediator: the parties' joint choice, the body's assignment, the mediator's answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.cases import access, assignment
from portal.cases import services as cases
from portal.cases.models import AssignmentStatus, Case
from portal.cases.states import Actor, Status
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.models import DeadlineKind
from portal.i18n import N_, gettext_
from portal.web import panels
from portal.web.deps import in_db
from portal.web.forms import Form, read_form
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.case_forms import int_field, panel_context, run, visible_case

PANEL = "mediator"
OPEN = (Status.RESPONDENT_AGREED, Status.MEDIATOR_ASSIGNED, Status.IN_MEDIATION)
PARTIES = frozenset({Actor.APPLICANT, Actor.RESPONDENT})
STAFF = frozenset({Actor.BODY, Actor.DISPATCHER, Actor.ADMIN, Actor.MEDIATOR})
STATUS_TEXT = {
    AssignmentStatus.PENDING: N_("Awaiting the mediator's answer"),
    AssignmentStatus.ACCEPTED: N_("Accepted"),
    AssignmentStatus.DECLINED: N_("Declined"),
    AssignmentStatus.REPLACED: N_("Replaced"),
}


def _panel(session: Session, case: Case, user: User) -> dict[str, Any] | None:
    caps = access.capacities(session, case, user)
    history = assignment.assignments_of(session, case.id)
    if case.status not in OPEN and not (history and caps & STAFF):
        return None
    now = utcnow()
    mediators = cases.mediators_for(session, case) if case.status in OPEN else []
    names = {m.id: m.name for m in mediators} | {a.mediator_id: a.mediator.name for a in history}
    declined = {a.mediator_id for a in history if a.status is AssignmentStatus.DECLINED}
    picks = assignment.choices(session, case.id)
    window = deadlines.current(session, case.id, DeadlineKind.CHOOSE_MEDIATOR)
    choosing = case.status is Status.RESPONDENT_AGREED and window is not None and (
        window.due_at > now)
    current = assignment.current(session, case)
    return panel_context(
        PANEL, number=case.number, status=case.status,
        options=[(m.id, m.name) for m in mediators],
        assign_options=[(m.id, m.name) for m in mediators
                        if m.id not in declined and m.id != case.mediator_id],
        picks=[(p.name, names.get(picks.get(p.user_id or 0, 0)), p.user_id is not None)
               for p in case.participants if p.role in assignment.PARTY_ROLES],
        my_pick=picks.get(user.id), choose_due=window.due_at if window else None,
        can_choose=choosing and bool(caps & PARTIES),
        agreed=case.status is Status.RESPONDENT_AGREED,
        can_assign=Actor.BODY in caps and case.status in OPEN,
        reassign=case.status is not Status.RESPONDENT_AGREED,
        vacant=case.status is Status.MEDIATOR_ASSIGNED and case.mediator_id is None,
        current=current,
        current_status=gettext_(STATUS_TEXT[current.status]) if current else "",
        can_answer=Actor.MEDIATOR in caps and current is not None and (
            current.status is AssignmentStatus.PENDING),
        can_request_change=bool(caps & PARTIES) and current is not None and (
            case.status in (Status.MEDIATOR_ASSIGNED, Status.IN_MEDIATION)),
        show_history=bool(caps & STAFF) and bool(history),
        history=[(a, gettext_(STATUS_TEXT[a.status]) if a.responded_at or a.status is not
                  AssignmentStatus.DECLINED else gettext_("No answer in time"))
                 for a in reversed(history)])


panels.register(panels.Panel(name=PANEL, template="review/_mediator.html", order=20,
                             column="side", collect=_panel))


@requires(Role.PARTY)
async def choose(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        assignment.choose(session, case=case, actor=user,
                          mediator_id=int_field(form, "mediator_id"))

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("Your choice of mediator was recorded."))


@requires(Role.BODY_ADMIN)
async def assign(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        assignment.assign(session, case=case, actor=user,
                          mediator_id=int_field(form, "mediator_id"), reason=form.get("reason"))

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("The mediator was assigned and asked to answer."))


@requires(Role.MEDIATOR)
async def answer(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)
    accept = form.get("decision") == "accept"

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        if form.get("decision") not in ("accept", "decline"):
            raise cases.MissingInput("decision", "Choose whether you accept the case.")
        assignment.answer(session, case=case, actor=user, accept=accept,
                          no_conflict=form.get("no_conflict") == "yes",
                          conflict=form.get("conflict"), reason=form.get("reason"))

    done = (N_("You accepted the case; mediation has started.") if accept and not
            form.get("conflict").strip() else N_("You declined the case; the body will assign "
                                                 "another mediator."))
    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_(done))


@requires(Role.PARTY)
async def request_change(request: Request) -> Response:
    current, number = user_of(request), request.path_params["number"]
    form = await read_form(request)

    def work(session: Session) -> None:
        case, user = visible_case(session, current, number)
        assignment.request_change(session, case=case, actor=user, reason=form.get("reason"))

    return await run(request, current, number, panel=PANEL, form=form, work=work,
                     done=gettext_("Your request was sent to the mediation body."))


@requires(Role.MEDIATOR)
async def pending(request: Request) -> Response:
    """The mediator's appointments waiting for an answer."""
    current = user_of(request)
    rows = await in_db(lambda s: assignment.pending_for(s, current.id))
    return render(request, "review/assignments.html", {"rows": rows, "now": utcnow(),
                                                       "form": Form()})


ROUTES = [
    Route("/assignments", pending, name="assignments"),
    Route("/cases/{number}/mediator/choose", choose, methods=["POST"], name="mediator_choose"),
    Route("/cases/{number}/mediator/assign", assign, methods=["POST"], name="mediator_assign"),
    Route("/cases/{number}/mediator/answer", answer, methods=["POST"], name="mediator_answer"),
    Route("/cases/{number}/mediator/change", request_change, methods=["POST"],
          name="mediator_change"),
]
