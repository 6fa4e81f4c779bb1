"""Alerts: raised from findings without duplicates, seen by their owners, moved through
their life (open → acknowledged → handled → closed with a note).

An alert's scope is the lowest area that holds all its facts, so a person with cases in two
towns is an alert of their city, and a town's staff never read another town's case numbers.
Its owners are the centre responsible for that area (or for the case's order) and, for a
case's own alert, the body that has the case.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from sqlalchemy import Select, case, false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.analytics.findings import Finding, more_severe
from portal.analytics.models import Alert, AlertEvent, AlertLevel, AlertStatus, RuleKey
from portal.analytics.rules import SEVERITY
from portal.audit import services as audit
from portal.bodies.models import Area
from portal.bodies.services import area_subtree_ids
from portal.cases.services import MissingInput, NotAllowed
from portal.db.types import utcnow
from portal.dispatch import flow, intake, levels
from portal.i18n import N_
from portal.notifications import delivery
from portal.notifications import services as notifications
from portal.notifications.models import Notification
from portal.pagination import Page

VIEWERS = frozenset({Role.DISPATCHER, Role.BODY_ADMIN, Role.ADMIN})
NOTIFIED = frozenset({AlertLevel.RED, AlertLevel.ORANGE})
NOTE_MAX = 2000
STATUS_LABELS: dict[AlertStatus, str] = {
    AlertStatus.OPEN: N_("Open"), AlertStatus.ACKNOWLEDGED: N_("Acknowledged"),
    AlertStatus.HANDLED: N_("Handled"), AlertStatus.CLOSED: N_("Closed"),
}
# The one step each status may take next.
MOVES: dict[AlertStatus, AlertStatus] = {
    AlertStatus.OPEN: AlertStatus.ACKNOWLEDGED,
    AlertStatus.ACKNOWLEDGED: AlertStatus.HANDLED,
    AlertStatus.HANDLED: AlertStatus.CLOSED,
}
RAISED: dict[AlertLevel, str] = {
    AlertLevel.RED: N_("A red early-warning alert needs your attention: {number}."),
    AlertLevel.ORANGE: N_("An orange early-warning alert needs your attention: {number}."),
}


class IllegalMove(Exception):
    """``message`` is a msgid with {status} and {target} (status labels)."""

    def __init__(self, status: AlertStatus, target: AlertStatus, message: str) -> None:
        super().__init__(f"{status} -> {target}")
        self.status, self.target, self.message = status, target, message


def lowest_common_area(session: Session, area_ids: Iterable[int]) -> Area:
    lineages = []
    for area_id in sorted(set(area_ids)):
        area = session.get(Area, area_id)
        assert area is not None
        lineages.append(list(reversed(area.lineage())))  # top first
    common = lineages[0][0]
    for depth in range(min(len(line) for line in lineages)):
        if len({line[depth].id for line in lineages}) != 1:
            break
        common = lineages[0][depth]
    return common


def _owners(session: Session, finding: Finding, area_id: int) -> tuple[int, int | None]:
    if finding.order is not None:
        return flow.centre_id(session, finding.order), finding.body_id
    area = session.get(Area, area_id)
    assert area is not None
    return levels.centre_for(session, area, levels.order_level(area.level)).id, None


def owner_ids(session: Session, alert: Alert) -> set[int]:
    return (intake.centre_dispatcher_ids(session, alert.owner_area_id)
            | notifications.body_admin_ids(session, alert.owner_body_id))


def notify(session: Session, alert: Alert) -> int:
    """Tell the owners of a red or orange alert, once per alert and level."""
    if alert.level not in NOTIFIED:
        return 0
    created = 0
    params = json.dumps({"number": f"#{alert.id}", "status": ""})
    for user_id in sorted(owner_ids(session, alert)):
        if delivery.claim(session, occasion=f"alert:{alert.id}:{alert.level}",
                          channel=delivery.PORTAL, recipient=str(user_id)):
            session.add(Notification(user_id=user_id, case_id=alert.case_id,
                                     message=RAISED[alert.level], params=params,
                                     link=f"/alerts/{alert.id}"))
            created += 1
    return created


def _update(alert: Alert, finding: Finding, now: dt.datetime) -> None:
    alert.facts, alert.case_ids = finding.facts, finding.case_ids
    alert.case_id = finding.case_id if finding.case_id is not None else alert.case_id
    alert.level = more_severe(alert.level, finding.level)
    alert.evidence_at = max(alert.evidence_at, finding.evidence_at)
    alert.seen_at = now


def record(session: Session, finding: Finding, now: dt.datetime) -> str:
    """Open an alert for ``finding``, or bring the open one on its subject up to date.

    Returns "opened", "updated", or "kept" when a closed alert already dealt with these
    facts (closed after the newest of them).
    """
    key = f"{finding.rule}|{finding.subject}"
    alert = session.execute(select(Alert).where(Alert.open_key == key)).scalar_one_or_none()
    if alert is not None:
        before = alert.level
        _update(alert, finding, now)
        if finding.order is not None:  # a case's alert follows the case to its new owners
            alert.owner_area_id, alert.owner_body_id = _owners(session, finding, alert.area_id)
        if alert.level != before:
            notify(session, alert)
        return "updated"
    dealt_with = session.execute(select(Alert.id).where(
        Alert.rule == finding.rule, Alert.subject == finding.subject,
        Alert.status == AlertStatus.CLOSED, Alert.closed_at >= finding.evidence_at)).first()
    if dealt_with is not None:
        return "kept"
    area = lowest_common_area(session, finding.area_ids)
    owner_area, owner_body = _owners(session, finding, area.id)
    alert = Alert(rule=finding.rule, subject=finding.subject, open_key=key,
                  level=finding.level, facts=finding.facts, case_ids=finding.case_ids,
                  case_id=finding.case_id, area_id=area.id, owner_area_id=owner_area,
                  owner_body_id=owner_body, evidence_at=finding.evidence_at, created_at=now,
                  seen_at=now)
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        # Another scan opened it a moment ago: bring that one up to date instead.
        return record(session, finding, now)
    session.add(AlertEvent(alert_id=alert.id, from_status=None, to_status=AlertStatus.OPEN,
                           created_at=now))
    notify(session, alert)
    return "opened"


def visible_alerts(session: Session, user: User) -> Select[Alert]:
    """The alerts ``user`` may see: a dispatcher's area, a body's own, all for an admin."""
    query = select(Alert)
    if not user.is_active:
        return query.where(false())
    match user.role:
        case Role.ADMIN:
            return query
        case Role.DISPATCHER if user.area_id is not None:
            return query.where(Alert.area_id.in_(area_subtree_ids(session, user.area_id)))
        case Role.BODY_ADMIN if user.body_id is not None:
            return query.where(Alert.owner_body_id == user.body_id)
    return query.where(false())


def get_visible(session: Session, user: User, alert_id: int) -> Alert | None:
    return session.execute(
        visible_alerts(session, user).where(Alert.id == alert_id)).scalar_one_or_none()


def move(session: Session, *, alert: Alert, to: AlertStatus, actor: User,
         note: str = "") -> AlertEvent:
    """Take the alert's next step; closing needs a note. Raises IllegalMove otherwise."""
    if get_visible(session, actor, alert.id) is None:
        raise NotAllowed(f"alert {alert.id}")
    locked = session.execute(select(Alert.status).where(Alert.id == alert.id)
                             .with_for_update()).scalar_one()
    if MOVES.get(locked) is not to:
        message = (N_("Acknowledge the alert and record how it was handled before closing "
                      "it.") if to is AlertStatus.CLOSED and locked is not AlertStatus.CLOSED
                   else N_("This alert is “{status}” now, so it cannot become “{target}”. "
                           "Reload the page."))
        raise IllegalMove(locked, to, message)
    clean = note.strip()[:NOTE_MAX]
    if to is AlertStatus.CLOSED and not clean:
        raise MissingInput("note", N_("Write how the alert was dealt with; the note is kept "
                                      "with the alert."))
    now = utcnow()
    event = AlertEvent(alert_id=alert.id, from_status=locked, to_status=to,
                       actor_id=actor.id, note=clean, created_at=now)
    session.add(event)
    alert.status = to
    if to is AlertStatus.CLOSED:
        alert.open_key, alert.closed_at = None, now
    session.flush()
    audit.append(session, kind="alert", action=f"alert.{to.value}", subject=f"alert:{alert.id}",
                 actor_id=actor.id, data={"from": locked.value, "to": to.value, "note": clean,
                                          "rule": alert.rule.value})
    return event


def life(session: Session, alert: Alert) -> list[AlertEvent]:
    return list(session.execute(select(AlertEvent).where(AlertEvent.alert_id == alert.id)
                                .order_by(AlertEvent.id)).scalars())


STATUS_FILTERS = ("active", *(s.value for s in AlertStatus), "all")


def listing(session: Session, user: User, *, status: str = "active", level: str = "",
            rule: str = "", page: int = 1, per_page: int = 25) -> Page[Alert]:
    """The user's alerts, filtered; the most severe and newest first (closed ones last)."""
    query = visible_alerts(session, user)
    if status == "active":
        query = query.where(Alert.status != AlertStatus.CLOSED)
    elif status != "all":
        query = query.where(Alert.status == AlertStatus(status))
    if level:
        query = query.where(Alert.level == AlertLevel(level))
    if rule:
        query = query.where(Alert.rule == RuleKey(rule))
    total = session.execute(select(func.count()).select_from(
        query.order_by(None).subquery())).scalar_one()
    severity = case({lvl.value: rank for lvl, rank in SEVERITY.items()}, value=Alert.level)
    rows = session.execute(
        query.order_by((Alert.status == AlertStatus.CLOSED).asc(), severity.desc(),
                       Alert.id.desc())
        .offset((max(page, 1) - 1) * per_page).limit(per_page)).scalars().all()
    return Page(list(rows), max(page, 1), per_page, int(total))
