"""API of the order loop: reports from the grid app, the board, dispatch and escalation.

Photos of a report are uploaded afterwards to /api/v1/cases/{number}/evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from spectree import Response as Resp
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.cases import access
from portal.cases.models import ParticipantRole
from portal.dispatch import board, intake, services
from portal.dispatch.models import Department, Source, WorkOrder
from portal.web.api import order_schemas as o
from portal.web.api.spec import spec
from portal.web.api.views import ERRORS, error, json_body, ok
from portal.web.api.workflow import CONFLICT, _guarded
from portal.web.deps import in_db, load_user
from portal.web.security import requires, user_of

STAFF = (Role.DISPATCHER, Role.BODY_ADMIN, Role.GRID_WORKER, Role.ADMIN)


def order_out(order: WorkOrder, now: dt.datetime | None = None) -> o.OrderOut:
    when = now or dt.datetime.now(dt.UTC)
    case = order.case
    return o.OrderOut(
        id=order.id, case_number=case.number, title=case.title, case_status=case.status,
        source=order.source, dispute_type=case.dispute_type, area_id=order.area_id,
        level=order.level, priority=order.priority, step=order.step,
        owner_body_id=order.owner_body_id, owner_area_id=order.owner_area_id,
        due_at=order.due_at, overdue=order.due_at is not None and order.due_at < when,
        escalations=order.escalations, duplicate_of_id=order.duplicate_of_id,
        outcome=order.outcome, created_at=order.created_at)


def _report(data: o.ReportIn) -> intake.Report:
    return intake.Report(
        dispute_type=data.dispute_type, title=data.title.strip(),
        description=data.description.strip(), area_id=data.area_id,
        address=data.address.strip(), latitude=data.latitude, longitude=data.longitude,
        priority=data.priority, is_group=data.is_group,
        parties=[intake.ReportParty(role=p.role, name=p.name.strip(), phone=p.phone.strip(),
                                    id_number=p.id_number.strip()) for p in data.parties
                 if p.role in (ParticipantRole.APPLICANT, ParticipantRole.RESPONDENT)],
        source=(Source.GRID_REPORT if data.department is None else
                Source.COURT_REFERRAL if data.department is Department.COURT
                else Source.TRANSFER_IN),
        department=data.department, external_ref=data.external_ref.strip(),
        create_key=data.create_key)


@requires(Role.GRID_WORKER, Role.DISPATCHER, Role.COURT_CLERK)
@spec.validate(json=o.ReportIn, resp=Resp(HTTP_201=o.OrderOut, **CONFLICT), tags=["orders"])
async def create_order(request: Request) -> Response:
    """Report a dispute (grid workers), or take one in from a department (``department``
    set: dispatchers; court referrals also court clerks). Near-duplicates come back with
    ``duplicate_of_id`` set."""
    data, current = json_body(request, o.ReportIn), user_of(request)
    report = _report(data)

    def work(session: Session) -> o.OrderOut:
        user = load_user(session, current)
        if report.source is Source.GRID_REPORT:
            order = intake.report(session, reporter=user, data=report)
        else:
            order = intake.intake(session, actor=user, data=report)
        session.flush()
        return order_out(order)

    return await _guarded(work, 201)


@requires(*STAFF)
@spec.validate(query=o.OrderListQuery, resp=Resp(HTTP_200=o.OrderListOut, **ERRORS),
               tags=["orders"])
async def order_list(request: Request) -> Response:
    """Open orders the user may see: overdue first, then by time left."""
    current = user_of(request)
    q: o.OrderListQuery = request.context.query  # type: ignore[attr-defined]

    def work(session: Session) -> o.OrderListOut:
        page = board.board(session, load_user(session, current), step=q.step,
                           overdue_only=q.overdue, page=q.page, per_page=q.per_page)
        now = dt.datetime.now(dt.UTC)
        return o.OrderListOut(items=[order_out(row.order, now) for row in page.items],
                              page=q.page, per_page=q.per_page, total=page.total)

    return ok(await in_db(work))


class _Hidden(Exception):
    """The order does not exist or is not the user's to see: answered 404."""


def _visible(session: Session, request: Request) -> tuple[WorkOrder, User]:
    user = load_user(session, user_of(request))
    raw = request.path_params["order_id"]
    order = services.get_order(session, int(raw)) if raw.isdigit() else None
    if order is None or not (access.can_view(session, order.case, user)
                             or services.can_manage(session, order, user)):
        raise _Hidden
    return order, user


NOT_FOUND = "The page does not exist, or you do not have access to it."


@requires(*STAFF)
@spec.validate(resp=Resp(HTTP_200=o.OrderOut, **ERRORS), tags=["orders"])
async def order_detail(request: Request) -> Response:
    """One order."""

    def work(session: Session) -> o.OrderOut:
        return order_out(_visible(session, request)[0])

    try:
        return ok(await in_db(work))
    except _Hidden:
        return error(404, NOT_FOUND)


async def _move(request: Request, act: Callable[[Session, WorkOrder, User], object]) -> Response:
    def work(session: Session) -> o.OrderOut:
        order, user = _visible(session, request)
        act(session, order, user)
        session.flush()
        return order_out(order)

    try:
        return await _guarded(work)
    except _Hidden:
        return error(404, NOT_FOUND)


@requires(Role.DISPATCHER)
@spec.validate(json=o.DispatchIn, resp=Resp(HTTP_200=o.OrderOut, **CONFLICT), tags=["orders"])
async def dispatch(request: Request) -> Response:
    """Send an order waiting for dispatch to a mediation body."""
    data = json_body(request, o.DispatchIn)
    return await _move(request, lambda session, order, user: services.dispatch(
        session, order=order, body_id=data.body_id, actor=user, note=data.note))


@requires(Role.DISPATCHER, Role.BODY_ADMIN)
@spec.validate(json=o.ReasonIn, resp=Resp(HTTP_200=o.OrderOut, **CONFLICT), tags=["orders"])
async def escalate(request: Request) -> Response:
    """Escalate an order to the next level (village → town → city)."""
    data = json_body(request, o.ReasonIn)
    return await _move(request, lambda session, order, user: services.escalate(
        session, order=order, actor=user, reason=data.reason))


ROUTES = [
    Route("/api/v1/orders", create_order, methods=["POST"], name="api_order_create"),
    Route("/api/v1/orders", order_list, methods=["GET"], name="api_orders"),
    Route("/api/v1/orders/{order_id}", order_detail, name="api_order"),
    Route("/api/v1/orders/{order_id}/dispatch", dispatch, methods=["POST"],
          name="api_order_dispatch"),
    Route("/api/v1/orders/{order_id}/escalate", escalate, methods=["POST"],
          name="api_order_escalate"),
]
