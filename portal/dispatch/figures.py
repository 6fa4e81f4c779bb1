"""Figures of the order loop per area, level and body (issue point 7), as plain tables.

Scope: orders whose area lies in ``area_id``'s subtree (every order when None). Period:
``start`` inclusive to ``end`` exclusive; a date means that local day, and an ``end`` date
counts in full. Either may be None (open-ended).

Rows:

- **area**: every village- and town-level area on the order's area lineage, so an order of a
  grid counts in its village and in its town;
- **level**: the order's level (the level that handles it now, or handled it when closed);
- **body**: the body that has, or last had, the order's case.

Figures of a row:

- **received**: orders created in the period.
- **dispatched**: DISPATCH events in the period (an order dispatched again after a return or
  an escalation counts again). Its level is the level of the DISPATCH step the event ended,
  its body the body it was sent to.
- **resolved**: orders closed in the period with the outcome AGREEMENT or CONFIRMED.
- **closed**: orders closed in the period, merged duplicates left out.
- **resolution_rate**: resolved / closed; None when none closed.
- **resolved_by_level** / **share_by_level**: the row's resolved orders by their level;
  the share is that count / resolved (None when none resolved).
- **avg_days_per_step**: per step, the mean of (ended − started) in days over the OrderStep
  rows that ended in the period; a step's level and body are its own.
- **overdue**: OrderStep rows that ended in the period after their due time, plus open
  orders whose current step is past due at the end of the period (or now, if sooner).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.bodies.models import Area, Level, MediationBody
from portal.bodies.services import area_subtree_ids
from portal.cases.models import CaseEvent
from portal.cases.states import Trigger
from portal.db.types import utcnow
from portal.deadlines.calendar import TIME_ZONE
from portal.dispatch.levels import LEVEL_ORDER
from portal.dispatch.models import OrderStep, Outcome, Step, WorkOrder

RESOLVED = frozenset({Outcome.AGREEMENT, Outcome.CONFIRMED})
ROLLED_UP = frozenset({Level.VILLAGE, Level.TOWN})
Moment = dt.date | dt.datetime | None


@dataclass
class Row:
    key: int | str
    label: str
    received: int = 0
    dispatched: int = 0
    resolved: int = 0
    closed: int = 0
    overdue: int = 0
    resolved_by_level: dict[Level, int] = field(default_factory=dict)
    step_days: dict[Step, list[float]] = field(default_factory=dict)

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.closed if self.closed else None

    @property
    def share_by_level(self) -> dict[Level, float | None]:
        return {level: (self.resolved_by_level.get(level, 0) / self.resolved
                        if self.resolved else None) for level in LEVEL_ORDER}

    @property
    def avg_days_per_step(self) -> dict[Step, float | None]:
        return {step: (sum(days) / len(days) if (days := self.step_days.get(step)) else None)
                for step in Step if step is not Step.CLOSED}

    @property
    def active(self) -> bool:
        return bool(self.received or self.dispatched or self.closed or self.overdue
                    or self.step_days)


@dataclass(frozen=True)
class Figures:
    areas: list[Row]
    levels: list[Row]
    bodies: list[Row]
    total: Row

    @property
    def share_by_level(self) -> dict[Level, float | None]:
        return self.total.share_by_level


def _bound(moment: Moment, *, end: bool) -> dt.datetime | None:
    if moment is None or isinstance(moment, dt.datetime):
        return moment
    day = moment + dt.timedelta(days=1) if end else moment
    return dt.datetime.combine(day, dt.time(), tzinfo=TIME_ZONE).astimezone(dt.UTC)


class _Tables:
    """Rows by kind and key, filled as the orders are walked."""

    def __init__(self) -> None:
        self.total = Row("total", "")
        self.areas: dict[int, Row] = {}
        self.levels = {level: Row(level.value, level.value) for level in LEVEL_ORDER}
        self.bodies: dict[int, Row] = {}
        self._area_names: dict[int, tuple[str, str]] = {}

    def area_rows(self, order: WorkOrder) -> list[Row]:
        found = []
        for area in order.area.lineage():
            if area.level in ROLLED_UP:
                self._area_names[area.id] = (area.code, area.name)
                found.append(self.areas.setdefault(area.id, Row(area.id, area.name)))
        return found

    def body_row(self, body: MediationBody | None) -> list[Row]:
        if body is None:
            return []
        return [self.bodies.setdefault(body.id, Row(body.id, body.name))]

    def rows(self, order: WorkOrder, level: Level,
             body: MediationBody | None) -> Iterable[Row]:
        return [self.total, *self.area_rows(order), self.levels[level], *self.body_row(body)]

    def result(self) -> Figures:
        areas = sorted((r for r in self.areas.values() if r.active),
                       key=lambda r: self._area_names[int(r.key)][0])
        bodies = sorted((r for r in self.bodies.values() if r.active),
                        key=lambda r: r.label)
        return Figures(areas, [self.levels[level] for level in LEVEL_ORDER], bodies,
                       self.total)


def _orders(session: Session, area_id: int | None,
            end: dt.datetime | None) -> list[WorkOrder]:
    query = select(WorkOrder).options(
        selectinload(WorkOrder.steps).selectinload(OrderStep.owner_body),
        selectinload(WorkOrder.case), selectinload(WorkOrder.area).selectinload(Area.parent))
    if area_id is not None:
        query = query.where(WorkOrder.area_id.in_(area_subtree_ids(session, area_id)))
    if end is not None:
        query = query.where(WorkOrder.created_at < end)
    return list(session.execute(query.order_by(WorkOrder.id)).scalars())


def figures(session: Session, *, area_id: int | None = None, start: Moment = None,
            end: Moment = None) -> Figures:
    lo, hi = _bound(start, end=False), _bound(end, end=True)

    def within(moment: dt.datetime | None) -> bool:
        return moment is not None and (lo is None or moment >= lo) and (
            hi is None or moment < hi)

    orders = _orders(session, area_id, hi)
    by_case = {o.case_id: o for o in orders}
    dispatches = set(session.execute(
        select(CaseEvent.id).where(CaseEvent.trigger == Trigger.DISPATCH,
                                   CaseEvent.case_id.in_(list(by_case)))
    ).scalars()) if by_case else set()
    cutoff = min(hi, utcnow()) if hi is not None else utcnow()
    tables = _Tables()
    for order in orders:
        body = order.case.body
        if within(order.created_at):
            for row in tables.rows(order, order.level, body):
                row.received += 1
        if within(order.closed_at) and order.outcome is not Outcome.MERGED:
            resolved = order.outcome in RESOLVED
            for row in tables.rows(order, order.level, body):
                row.closed += 1
                if resolved:
                    row.resolved += 1
                    row.resolved_by_level[order.level] = (
                        row.resolved_by_level.get(order.level, 0) + 1)
        if order.step is not Step.CLOSED and order.due_at is not None and (
                order.due_at < cutoff):
            for row in tables.rows(order, order.level, order.owner_body):
                row.overdue += 1
        _walk_steps(tables, order, dispatches, within)
    return tables.result()


def _walk_steps(tables: _Tables, order: WorkOrder, dispatches: set[int],
                within: Callable[[dt.datetime | None], bool]) -> None:
    history = order.steps
    for n, step in enumerate(history):
        if step.ended_at is None or not within(step.ended_at):
            continue
        days = (step.ended_at - step.started_at).total_seconds() / 86400
        for row in tables.rows(order, step.level, step.owner_body):
            row.step_days.setdefault(step.step, []).append(days)
            if step.went_overdue:
                row.overdue += 1
        if step.case_event_id in dispatches:
            sent_to = history[n + 1].owner_body if n + 1 < len(history) else None
            for row in tables.rows(order, step.level, sent_to):
                row.dispatched += 1

