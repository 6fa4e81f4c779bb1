"""Case list, case page with timeline, actions, and a simple new-case form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.roles import Role
from portal.bodies.models import MediationBody
from portal.cases import access
from portal.cases import services as cases
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import Case, CaseEvent
from portal.cases.states import LABELS as STATUS_LABELS
from portal.cases.states import TRIGGER_LABELS, IllegalTransition, Status, Trigger
from portal.i18n import gettext_, translate
from portal.web import panels
from portal.web.deps import CurrentUser, in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, echo, read_form
from portal.web.pagination import Page, page_number
from portal.web.security import requires, user_of
from portal.web.templating import render

PAGE_SIZE = 20


def _get_visible(session: Session, current: CurrentUser, number: str) -> Case:
    case = session.execute(
        select(Case).where(Case.number == number).options(
            selectinload(Case.participants), selectinload(Case.body),
            selectinload(Case.mediator), selectinload(Case.events).selectinload(CaseEvent.actor),
        )
    ).scalar_one_or_none()
    # Someone else's case answers 404, not 403: its existence is not disclosed.
    if case is None or not access.can_view(session, case, load_user(session, current)):
        raise HTTPException(404)
    return case


@requires()
async def case_list(request: Request) -> Response:
    current = user_of(request)
    status = request.query_params.get("status") or None
    if status is not None and status not in set(Status):
        status = None
    number = page_number(request)

    def work(session: Session) -> Page[Case]:
        query = access.visible_cases(session, load_user(session, current))
        if status:
            query = query.where(Case.status == Status(status))
        total = session.execute(
            select(func.count()).select_from(query.order_by(None).subquery())
        ).scalar_one()
        rows = session.execute(
            query.order_by(Case.updated_at.desc(), Case.id.desc())
            .options(selectinload(Case.body))
            .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
        ).scalars().all()
        return Page(list(rows), number, PAGE_SIZE, total)

    page = await in_db(work)
    return render(request, "cases/list.html", {
        "page": page, "status": status, "statuses": list(Status),
        "can_create": current.role is Role.PARTY,
    })


@dataclass
class CaseView:
    case: Case
    triggers: list[Trigger]
    mediators: list[Any]
    panels: list[panels.RenderedPanel]


@requires()
async def case_detail(request: Request) -> Response:
    current = user_of(request)
    number = request.path_params["number"]

    def work(session: Session) -> CaseView:
        case = _get_visible(session, current, number)
        user = load_user(session, current)
        triggers = cases.available_triggers(session, case, user)
        mediators = cases.mediators_for(session, case) if any(
            t in cases.NEEDS_MEDIATOR for t in triggers) else []
        return CaseView(case, triggers, mediators, panels.collect(session, case, user))

    view = await in_db(work)
    return render(request, "cases/detail.html", {
        "view": view, "case": view.case, "form": Form(),
        "reason_required": cases.REASON_REQUIRED, "needs_mediator": cases.NEEDS_MEDIATOR,
        "destructive": DESTRUCTIVE,
    })


# Actions that end or redirect a case ask the person to confirm first.
DESTRUCTIVE = frozenset({Trigger.WITHDRAW, Trigger.DECLINE, Trigger.FAIL_MEDIATION,
                         Trigger.RESPONDENT_REFUSE, Trigger.TRANSFER, Trigger.CLOSE,
                         Trigger.REJECT_FILING, Trigger.COURT_REFUSE_CONFIRMATION})


@requires()
async def case_act(request: Request) -> Response:
    current = user_of(request)
    number = request.path_params["number"]
    form = await read_form(request)
    try:
        trigger = Trigger(form.get("trigger"))
    except ValueError:
        raise HTTPException(400, gettext_("Unknown action.")) from None
    mediator_raw = form.get("mediator_id")
    mediator_id = int(mediator_raw) if mediator_raw.isdigit() else None

    def work(session: Session) -> None:
        case = _get_visible(session, current, number)
        cases.act(session, case=case, trigger=trigger, actor=load_user(session, current),
                  reason=form.get("reason")[:2000], mediator_id=mediator_id)

    try:
        await in_db(work)
    except cases.MissingInput as exc:
        flash(request, gettext_(exc.message), "danger")
        return RedirectResponse(f"/cases/{number}#actions", status_code=303)
    except cases.NotAllowed:
        raise HTTPException(403) from None
    except IllegalTransition as exc:
        raise HTTPException(409, translate(
            "This action is no longer possible: the case is now “{status}”. Reload the page.",
            status=gettext_(STATUS_LABELS[exc.status]))) from None
    flash(request, translate("Done: {action}.", action=gettext_(TRIGGER_LABELS[trigger])))
    return RedirectResponse(f"/cases/{number}", status_code=303)




async def _bodies() -> list[MediationBody]:
    def work(session: Session) -> list[MediationBody]:
        return list(session.execute(
            select(MediationBody).options(selectinload(MediationBody.area))
            .order_by(MediationBody.level, MediationBody.name)
        ).scalars())
    return await in_db(work)


@requires(Role.PARTY)
async def case_new(request: Request) -> Response:
    current = user_of(request)
    bodies = await _bodies()
    ctx: dict[str, Any] = {
        "type_options": [(k, gettext_(v)) for k, v in DISPUTE_TYPES.items()],
        "body_options": [(b.id, f"{b.name} · {b.area.name}") for b in bodies],
    }
    if request.method == "GET":
        return render(request, "cases/new.html", {**ctx, "form": Form()})
    form = await read_form(request)
    form.require("title", "dispute_type", "body_id")
    if form.get("dispute_type") and form.get("dispute_type") not in DISPUTE_TYPES:
        form.error("dispute_type", "Choose a dispute type from the list.")
    if len(form.get("title")) > 200:
        form.error("title", "Keep the title under 200 characters.")
    body = next((b for b in bodies if str(b.id) == form.get("body_id")), None)
    if form.get("body_id") and body is None:
        form.error("body_id", "Choose a mediation body from the list.")
    if not form.ok or body is None:
        return render(request, "cases/new.html", {**ctx, "form": form, "values": echo(form)}, 400)
    data = cases.NewCase(title=form.get("title"), dispute_type=form.get("dispute_type"),
                         summary=form.get("summary"), body_id=body.id, area_id=body.area_id)

    def work(session: Session) -> str:
        return cases.create_draft(session, applicant=load_user(session, current),
                                  data=data).number

    number = await in_db(work)
    flash(request, translate("Draft {number} saved. Submit it when you are ready.",
                             number=number))
    return RedirectResponse(f"/cases/{number}", status_code=303)


ROUTES = [
    Route("/cases", case_list, name="case_list"),
    Route("/cases/new", case_new, methods=["GET", "POST"], name="case_new"),
    Route("/cases/{number}", case_detail, name="case_detail"),
    Route("/cases/{number}/act", case_act, methods=["POST"], name="case_act"),
]
