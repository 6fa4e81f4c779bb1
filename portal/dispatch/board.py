"""The board of open orders: who may see which, overdue first, then by time left."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, case, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.models import Level
from portal.bodies.services import area_subtree_ids
from portal.cases.models import Case
from portal.db.types import utcnow
from portal.dispatch.models import Priority, Step, WorkOrder
from portal.pagination import Page

OPEN_STEPS = tuple(s for s in Step if s is not Step.CLOSED)


@dataclass(frozen=True)
class BoardRow:
    order: WorkOrder
    number: str
    title: str
    step: Step
    owner: str  # the body's name, or the centre's area name
    level: Level
    due_at: dt.datetime | None
    seconds_left: int | None  # negative when overdue
    priority: Priority
    duplicate: bool


def visible_orders(session: Session, user: User) -> Select[WorkOrder]:
    """Open orders ``user`` may see: a dispatcher's area, a body's own, a grid worker's
    reports, everything for an administrator."""
    query = select(WorkOrder).where(WorkOrder.step != Step.CLOSED)
    if not user.is_active:
        return query.where(false())
    match user.role:
        case Role.ADMIN:
            return query
        case Role.DISPATCHER if user.area_id is not None:
            return query.where(WorkOrder.area_id.in_(area_subtree_ids(session, user.area_id)))
        case Role.BODY_ADMIN if user.body_id is not None:
            theirs = select(Case.id).where(Case.body_id == user.body_id)
            return query.where(or_(WorkOrder.owner_body_id == user.body_id,
                                   WorkOrder.case_id.in_(theirs)))
        case Role.GRID_WORKER:
            return query.where(WorkOrder.reporter_id == user.id)
    return query.where(false())


def _mine(user: User) -> ColumnElement[bool]:
    if user.role is Role.BODY_ADMIN:
        return WorkOrder.owner_body_id == user.body_id
    if user.role is Role.DISPATCHER:
        return WorkOrder.owner_area_id == user.area_id
    if user.role is Role.GRID_WORKER:
        return WorkOrder.reporter_id == user.id
    return WorkOrder.id.is_not(None)


def _owner(order: WorkOrder) -> str:
    if order.owner_body is not None:
        return order.owner_body.name
    return order.owner_area.name if order.owner_area is not None else ""


def _row(order: WorkOrder, now: dt.datetime) -> BoardRow:
    left = None if order.due_at is None else int((order.due_at - now).total_seconds())
    return BoardRow(order=order, number=order.case.number, title=order.case.title,
                    step=order.step, owner=_owner(order), level=order.level,
                    due_at=order.due_at, seconds_left=left, priority=order.priority,
                    duplicate=order.duplicate_of_id is not None)


def board(session: Session, user: User, *, step: Step | None = None, owner: str | None = None,
          overdue_only: bool = False, page: int = 1, per_page: int = 25,
          now: dt.datetime | None = None) -> Page[BoardRow]:
    """``owner="me"``: only the orders whose current step the user (or their body or
    centre) owns."""
    now = now or utcnow()
    query = visible_orders(session, user)
    if step is not None:
        query = query.where(WorkOrder.step == step)
    if owner == "me":
        query = query.where(_mine(user))
    if overdue_only:
        query = query.where(WorkOrder.due_at <= now)
    total = session.execute(
        select(func.count()).select_from(query.subquery())).scalar_one()
    page = max(page, 1)
    rows = session.execute(
        query.options(selectinload(WorkOrder.case), selectinload(WorkOrder.owner_body),
                      selectinload(WorkOrder.owner_area))
        # Overdue orders have the earliest due times, so ascending due puts them first.
        .order_by(case((WorkOrder.due_at.is_(None), 1), else_=0), WorkOrder.due_at,
                  WorkOrder.id)
        .offset((page - 1) * per_page).limit(per_page)
    ).scalars()
    return Page([_row(o, now) for o in rows], page, per_page, int(total))


def counts_by_step(session: Session, user: User) -> dict[Step, int]:
    """Open orders the user may see, per step (every open step present)."""
    visible = visible_orders(session, user).subquery()
    found: dict[str, int] = {str(step): int(n) for step, n in session.execute(
        select(visible.c.step, func.count()).group_by(visible.c.step)).all()}
    return {s: found.get(s.value, 0) for s in OPEN_STEPS}
