"""Reporting a dispute from the field (grid workers) and taking one in from another department.

Both forms make a work order with a draft case; photos are added on the order page right
after, one upload at a time, so a failed photo never loses the report.
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.bodies.models import Area
from portal.bodies.services import area_subtree_ids
from portal.cases import services as cases
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import ParticipantRole
from portal.dispatch import intake
from portal.dispatch.labels import DEPARTMENT_LABELS, PRIORITY_LABELS
from portal.dispatch.models import INBOUND, Department, Priority, Source
from portal.i18n import gettext_
from portal.web.deps import in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, echo, read_form
from portal.web.security import requires, user_of
from portal.web.templating import render

# Applicant, respondent, and an optional second respondent: enough for a field report;
# the body adds more parties on the case page if needed.
PARTY_SLOTS = (("applicant", ParticipantRole.APPLICANT), ("respondent", ParticipantRole.RESPONDENT),
               ("respondent2", ParticipantRole.RESPONDENT))
PARTY_FIELDS = ("name", "phone", "id_number")


def _areas(session: Session, user: User) -> list[tuple[int, str]]:
    """Areas a user may report in: their own area and everything below it (all for admins)."""
    query = select(Area).order_by(Area.code)
    if user.area_id is not None:
        query = query.where(Area.id.in_(area_subtree_ids(session, user.area_id)))
    return [(a.id, f"{a.name} ({a.code})") for a in session.execute(query).scalars()]


def _decimal(form: Form, name: str) -> Decimal | None:
    raw = form.get(name).strip()
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        form.error(name, "Enter a number, for example 29.7145.")
        return None


def report_from_form(form: Form, source: Source) -> intake.Report | None:
    """The form as a Report, or None with errors on the form for what could not be read."""
    parties = []
    for slot, role in PARTY_SLOTS:
        name, phone, id_number = (form.get(f"{slot}_{f}").strip() for f in PARTY_FIELDS)
        if name or phone or id_number:
            parties.append(intake.ReportParty(role=role, name=name, phone=phone,
                                              id_number=id_number))
    area = form.get("area_id")
    latitude, longitude = _decimal(form, "latitude"), _decimal(form, "longitude")
    priority = form.get("priority") or Priority.NORMAL.value
    if priority not in set(Priority):
        form.error("priority", "Choose how urgent the dispute is.")
    department = form.get("department")
    if department and department not in set(Department):
        form.error("department", "Choose the department from the list.")
    if not form.ok:
        return None
    return intake.Report(
        dispute_type=form.get("dispute_type"), title=form.get("title").strip(),
        description=form.get("description").strip(),
        area_id=int(area) if area.isdigit() else 0, address=form.get("address").strip(),
        latitude=latitude, longitude=longitude, priority=Priority(priority),
        is_group=form.get("is_group") == "1", parties=parties, source=source,
        department=Department(department) if department else None,
        external_ref=form.get("external_ref").strip()[:100],
        create_key=form.get("create_key")[:64] or None)


def _page(request: Request, template: str, form: Form, areas: list[tuple[int, str]],
          status: int = 200) -> Response:
    values = echo(form)
    values.setdefault("create_key", secrets.token_urlsafe(24))
    return render(request, template, {
        "form": form, "values": values, "areas": areas, "party_slots": PARTY_SLOTS,
        "dispute_types": [(k, gettext_(v)) for k, v in DISPUTE_TYPES.items()],
        "priorities": [(p.value, gettext_(PRIORITY_LABELS[p])) for p in Priority],
        "departments": [(d.value, gettext_(DEPARTMENT_LABELS[d])) for d in INBOUND],
    }, status)


async def _handle(request: Request, *, template: str, source_of: Any) -> Response:
    current = user_of(request)

    def areas(session: Session) -> list[tuple[int, str]]:
        return _areas(session, load_user(session, current))

    if request.method == "GET":
        form = Form(values={"priority": Priority.NORMAL.value})
        return _page(request, template, form, await in_db(areas))
    form = await read_form(request)
    source: Source = source_of(form)
    data = report_from_form(form, source)
    if data is None:
        return _page(request, template, form, await in_db(areas), 400)

    def work(session: Session) -> tuple[int, bool]:
        user = load_user(session, current)
        if data.area_id and data.area_id not in {a for a, _ in _areas(session, user)}:
            raise cases.MissingInput("area_id", "Choose an area from the list.")
        if source is Source.GRID_REPORT:
            order = intake.report(session, reporter=user, data=data)
        else:
            order = intake.intake(session, actor=user, data=data)
        return order.id, order.duplicate_of_id is not None

    try:
        order_id, duplicate = await in_db(work)
    except (cases.MissingInput, InvalidField) as exc:
        form.error(exc.field, exc.message, **getattr(exc, "params", {}))
        return _page(request, template, form, await in_db(areas), 400)
    except cases.NotAllowed:
        form.error("source", "You may not take in disputes of this kind.")
        return _page(request, template, form, await in_db(areas), 403)
    flash(request, gettext_("The dispute was recorded. You can add photos now."))
    if duplicate:
        flash(request, gettext_("This looks like a dispute reported already: the dispatcher "
                                "will check and may merge the two."), "warning")
    return RedirectResponse(f"/orders/{order_id}#photos", status_code=303)


@requires(Role.GRID_WORKER, Role.DISPATCHER)
async def report(request: Request) -> Response:
    return await _handle(request, template="orders/report.html",
                         source_of=lambda form: Source.GRID_REPORT)


def _intake_source(form: Form) -> Source:
    return Source.COURT_REFERRAL if form.get("department") == Department.COURT.value else (
        Source.TRANSFER_IN)


@requires(Role.DISPATCHER, Role.COURT_CLERK)
async def take_in(request: Request) -> Response:
    return await _handle(request, template="orders/intake.html", source_of=_intake_source)


ROUTES = [
    Route("/report", report, methods=["GET", "POST"], name="report"),
    Route("/orders/intake", take_in, methods=["GET", "POST"], name="order_intake"),
]
