"""The beat job: reminders before a step is due, escalation or a flag once it is overdue.

An overdue ACCEPT or HANDLE step below the city level is escalated to the next level with
the reason on the case timeline. Anything else overdue (a centre's own steps, or any step
at the city level, or a case that cannot move up now) is flagged once: ``overdue_since`` is
set, and the owners and the centre above hear of it. Each order is handled in its own
SAVEPOINT, so one failure does not hold back the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from portal.bodies.models import Area
from portal.cases.states import Actor, Trigger, can_fire
from portal.db.types import utcnow
from portal.deadlines.calendar import TIME_ZONE
from portal.dispatch import intake, levels, messages, rules, services, steps
from portal.dispatch.labels import STEP_LABELS
from portal.dispatch.models import Step, WorkOrder
from portal.i18n import DEFAULT_LOCALE, current_locale, translate
from portal.notifications import services as notifications

log = logging.getLogger(__name__)

BATCH = 200
ESCALATING = frozenset({Step.ACCEPT, Step.HANDLE})


@dataclass(frozen=True)
class ScanResult:
    reminded: int = 0
    escalated: int = 0
    flagged: int = 0

    @property
    def total(self) -> int:
        return self.reminded + self.escalated + self.flagged


def owner_ids(session: Session, order: WorkOrder) -> set[int]:
    if order.owner_body_id is not None:
        return notifications.body_admin_ids(session, order.owner_body_id)
    return intake.centre_dispatcher_ids(session, order.owner_area_id)


def _due(session: Session, now: dt.datetime) -> list[int]:
    """Orders that need a reminder or are overdue and not yet flagged, soonest due first."""
    remind = [and_(WorkOrder.step == step, WorkOrder.reminded_at.is_(None),
                   WorkOrder.due_at > now,
                   WorkOrder.due_at <= now + dt.timedelta(hours=rules.rule_for(
                       session, step).remind_hours))
              for step in rules.DEFAULTS]
    overdue = and_(WorkOrder.due_at <= now, WorkOrder.overdue_since.is_(None))
    return list(session.execute(
        select(WorkOrder.id).where(WorkOrder.step != Step.CLOSED,
                                   WorkOrder.due_at.is_not(None), or_(overdue, *remind))
        .order_by(WorkOrder.due_at, WorkOrder.id).limit(BATCH)
    ).scalars())


def overdue_reason(step: Step, due: dt.datetime) -> str:
    """The timeline's reason, in the portal's default language (it is stored as text)."""
    token = current_locale.set(DEFAULT_LOCALE)
    try:
        return translate(messages.OVERDUE_REASON, step=translate(STEP_LABELS[step]),
                         due=due.astimezone(TIME_ZONE).strftime("%Y-%m-%d %H:%M"))
    finally:
        current_locale.reset(token)


def centre_above(session: Session, order: WorkOrder) -> Area:
    """The centre one level above the one that owns the order (itself at the top)."""
    area = order.area or session.get(Area, order.area_id)
    assert area is not None
    centre = levels.centre_for(session, area, order.level)
    above = levels.next_level(levels.order_level(centre.level))
    return levels.centre_for(session, area, above) if above is not None else centre


def _flag(session: Session, order: WorkOrder, now: dt.datetime) -> None:
    order.overdue_since = now
    row = steps.current(order)
    people = owner_ids(session, order) | intake.centre_dispatcher_ids(
        session, centre_above(session, order).id)
    notifications.notify_users(
        session, occasion=f"order:{order.id}:step:{row.id if row else 0}:overdue",
        user_ids=people, case=order.case, message=messages.OVERDUE)


def handle(session: Session, order_id: int, now: dt.datetime) -> str | None:
    """Remind, escalate or flag one order; what was done, or None."""
    order = session.execute(
        select(WorkOrder).where(WorkOrder.id == order_id).with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if order is None or order.step is Step.CLOSED or order.due_at is None:
        return None
    if order.due_at > now:
        if order.reminded_at is not None:
            return None
        order.reminded_at = now
        row = steps.current(order)
        notifications.notify_users(
            session, occasion=f"order:{order.id}:step:{row.id if row else 0}:remind",
            user_ids=owner_ids(session, order), case=order.case, message=messages.REMIND)
        return "reminded"
    if order.overdue_since is not None:
        return None
    if (order.step in ESCALATING and levels.next_level(order.level) is not None
            and can_fire(order.case.status, Trigger.ESCALATE, Actor.SYSTEM)):
        services.escalate(session, order=order, actor=None,
                          reason=overdue_reason(order.step, order.due_at))
        return "escalated"
    _flag(session, order, now)
    return "flagged"


def scan(session: Session, now: dt.datetime | None = None) -> ScanResult:
    now = now or utcnow()
    done = {"reminded": 0, "escalated": 0, "flagged": 0}
    for order_id in _due(session, now):
        try:
            with session.begin_nested():
                outcome = handle(session, order_id, now)
        except Exception:
            log.exception("order %s could not be tracked; it will be tried again", order_id)
            continue
        if outcome is not None:
            done[outcome] += 1
    return ScanResult(**done)
