"""My cases (search, filters, sorting), the case page with timeline, and actions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.analytics import risk
from portal.analytics.models import CaseRisk
from portal.cases import access, application
from portal.cases import services as cases
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import Case, CaseEvent, CaseParticipant
from portal.cases.states import LABELS as STATUS_LABELS
from portal.cases.states import TRIGGER_LABELS, IllegalTransition, Status, Trigger
from portal.i18n import gettext_, translate
from portal.web import panels
from portal.web.deps import in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, read_form
from portal.web.page_cache import cached_page
from portal.web.pagination import Page, page_number
from portal.web.security import requires, user_of
from portal.web.templating import LOCAL_TZ, render
from portal.web.views import apply_pages

PAGE_SIZE = 20


def _get_visible(session: Session, user: User, number: str) -> Case:
    case = session.execute(
        select(Case).where(Case.number == number).options(
            # Many-to-one in the same query; one query per collection.
            selectinload(Case.participants), joinedload(Case.body), joinedload(Case.mediator),
            selectinload(Case.events).joinedload(CaseEvent.actor),
        )
    ).scalar_one_or_none()
    # Someone else's case answers 404, not 403: its existence is not disclosed.
    if case is None or not access.can_view(session, case, user):
        raise HTTPException(404)
    return case


# Sort keys of the list; the case id breaks ties in the same direction.
SORTS: dict[str, Any] = {"updated": Case.updated_at, "created": Case.created_at,
                         "number": Case.number, "risk": CaseRisk.score}
MAX_QUERY = 50


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    status: str = ""
    dispute_type: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "updated"
    order: str = "desc"

    def query_string(self) -> str:
        """The filters as they appear in the address, for the pager and sort links."""
        pairs = {"q": self.q, "status": self.status, "type": self.dispute_type,
                 "from": self.date_from.isoformat() if self.date_from else "",
                 "to": self.date_to.isoformat() if self.date_to else "",
                 "sort": self.sort if self.sort != "updated" else "",
                 "order": self.order if self.order != "desc" else ""}
        return urlencode({k: v for k, v in pairs.items() if v})

    @property
    def active(self) -> bool:
        return any((self.q, self.status, self.dispute_type, self.date_from, self.date_to))


def _date(form: Form, name: str) -> dt.date | None:
    raw = form.get(name).strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        form.error(name, "Enter a date as YYYY-MM-DD.")
        return None


def list_filters(params: dict[str, str]) -> tuple[ListFilters, Form]:
    """Filters from the query string; unknown choices fall back, bad dates are errors."""
    form = Form(values={k: v[:MAX_QUERY] for k, v in params.items()})
    date_from, date_to = _date(form, "from"), _date(form, "to")
    if date_from and date_to and date_from > date_to:
        form.error("to", "The end date is before the start date. Choose an end date on or "
                         "after the start date.")
    status, kind = form.get("status"), form.get("type")
    return ListFilters(
        q=form.get("q").strip(), status=status if status in set(Status) else "",
        dispute_type=kind if kind in DISPUTE_TYPES else "", date_from=date_from,
        date_to=date_to, sort=form.get("sort") if form.get("sort") in SORTS else "updated",
        order="asc" if form.get("order") == "asc" else "desc"), form


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(LOCAL_TZ))


def filtered_cases(session: Session, user: User, f: ListFilters) -> Select[Case]:
    query = access.visible_cases(session, user)
    if f.q:
        party = exists().where(CaseParticipant.case_id == Case.id,
                               CaseParticipant.name.icontains(f.q, autoescape=True))
        query = query.where(or_(Case.number.icontains(f.q, autoescape=True),
                                Case.title.icontains(f.q, autoescape=True), party))
    if f.status:
        query = query.where(Case.status == Status(f.status))
    if f.dispute_type:
        query = query.where(Case.dispute_type == f.dispute_type)
    # Dates are days in the portal's time zone; the stored times are UTC.
    if f.date_from:
        query = query.where(Case.created_at >= _local_midnight(f.date_from))
    if f.date_to:
        query = query.where(Case.created_at < _local_midnight(f.date_to + dt.timedelta(days=1)))
    return query


@requires()
@cached_page
async def case_list(request: Request) -> Response:
    current = user_of(request)
    filters, form = list_filters(dict(request.query_params))
    show_risk = current.role in risk.READERS  # parties never see or sort by risk
    risks: dict[int, int] = {}
    if filters.sort == "risk" and not show_risk:
        filters = dataclasses.replace(filters, sort="updated")
    number = page_number(request)

    def work(session: Session) -> Page[Case]:
        query = filtered_cases(session, load_user(session, current), filters)
        if filters.sort == "risk":
            query = risk.scored_only(query)
        total = session.execute(
            select(func.count()).select_from(query.order_by(None).subquery())
        ).scalar_one()
        column = SORTS[filters.sort]
        order = (column.asc(), Case.id.asc()) if filters.order == "asc" else (
            column.desc(), Case.id.desc())
        rows = session.execute(
            query.order_by(*order).options(selectinload(Case.body))
            .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
        ).scalars().all()
        risks.update(risk.scores_seen_by(session, current.role, [c.id for c in rows]))
        return Page(list(rows), number, PAGE_SIZE, total)

    page = await in_db(work) if form.ok else Page([], 1, PAGE_SIZE, 0)
    query = filters.query_string()
    return render(request, "cases/list.html", {
        "page": page, "filters": filters, "form": form, "values": form.values,
        "statuses": list(Status), "dispute_types": DISPUTE_TYPES,
        "dispute_label": apply_pages.dispute_label,
        "sorts": [("updated", gettext_("Last updated")), ("created", gettext_("Date filed")),
                  ("number", gettext_("Case number")),
                  *([("risk", gettext_("Risk score (open cases)"))] if show_risk else [])],
        "pager_base": f"/cases?{query}&" if query else "/cases?",
        "can_create": current.role is Role.PARTY, "me": current.id,
        "resume": application.resume_step, "show_risk": show_risk, "risks": risks,
    }, 200 if form.ok else 400)


@dataclass
class CaseView:
    case: Case
    triggers: list[Trigger]
    mediators: list[Any]
    panels: list[panels.RenderedPanel]


@requires()
@cached_page
async def case_detail(request: Request) -> Response:
    current = user_of(request)
    number = request.path_params["number"]

    def work(session: Session) -> CaseView:
        user = load_user(session, current)
        case = _get_visible(session, user, number)
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
    if trigger is Trigger.SUBMIT:
        # Submitting needs the completeness check and the consents of the review page.
        return RedirectResponse(f"/apply/{number}/review", status_code=303)
    mediator_raw = form.get("mediator_id")
    mediator_id = int(mediator_raw) if mediator_raw.isdigit() else None

    def work(session: Session) -> None:
        actor = load_user(session, current)
        case = _get_visible(session, actor, number)
        cases.act(session, case=case, trigger=trigger, actor=actor,
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


@requires(Role.PARTY)
async def case_new(request: Request) -> Response:
    """Old links and bookmarks: the application is filed through the guided form."""
    return RedirectResponse("/apply", status_code=303)


ROUTES = [
    Route("/cases", case_list, name="case_list"),
    Route("/cases/new", case_new, methods=["GET", "POST"], name="case_new"),
    Route("/cases/{number}", case_detail, name="case_detail"),
    Route("/cases/{number}/act", case_act, methods=["POST"], name="case_act"),
]
