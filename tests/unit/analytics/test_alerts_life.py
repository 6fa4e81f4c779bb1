"""An alert's life: raised once, told to its owners, acknowledged, handled, closed with a note."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.agreements import minutes
from portal.analytics import alerts as service
from portal.analytics import findings
from portal.analytics.models import Alert, AlertEvent, AlertLevel, AlertStatus, RuleKey
from portal.audit.models import AuditEntry
from portal.cases.services import MissingInput
from portal.dispatch import services as dispatch
from portal.dispatch.models import WorkOrder
from portal.mediation.models import MediationSession, SessionMode
from portal.notifications.models import Notification
from tests.unit.analytics.alert_support import DAY, T0, alerts, report, run_scan, world

__all__ = ["world"]
W = dict[str, Any]
THREAT = "对方说要报复，还说不会放过他。"


def _notices(db: Session, user_id: int) -> list[Notification]:
    db.expire_all()
    return list(db.execute(select(Notification).where(
        Notification.user_id == user_id)).scalars())


def _alert_notices(db: Session, user_id: int) -> list[Notification]:
    return [n for n in _notices(db, user_id) if n.link.startswith("/alerts/")]


def test_an_orange_alert_is_told_to_its_centre_once(db: Session, world: W) -> None:
    report(db, world, T0, description=THREAT)
    run_scan(db, T0)
    run_scan(db, T0 + DAY / 2)
    [alert] = alerts(db, RuleKey.KEYWORDS)
    assert alert.owner_area_id == world["town"].id and alert.owner_body_id is None
    [notice] = _alert_notices(db, world["town_dispatcher"].id)
    assert notice.message == service.RAISED[AlertLevel.ORANGE]
    assert notice.link == f"/alerts/{alert.id}"
    assert _alert_notices(db, world["other_dispatcher"].id) == []


def test_a_yellow_alert_is_not_pushed(db: Session, world: W) -> None:
    report(db, world, T0, dispute_type="land")
    run_scan(db, T0)
    assert [a.level for a in alerts(db)] == [AlertLevel.YELLOW]
    assert _alert_notices(db, world["town_dispatcher"].id) == []


def test_a_case_alert_belongs_to_the_body_that_has_the_case(db: Session, world: W) -> None:
    order = report(db, world, T0)
    dispatch.dispatch(db, order=order, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    order.case.summary = "当事人扬言要跳河。"
    db.commit()
    run_scan(db, T0 + DAY)
    [alert] = alerts(db, RuleKey.KEYWORDS)
    assert alert.level is AlertLevel.RED and alert.owner_body_id == world["village_body"].id
    assert len(_alert_notices(db, world["village_admin"].id)) == 1


def _raised(db: Session, world: W) -> Alert:
    report(db, world, T0, description=THREAT)
    run_scan(db, T0)
    [alert] = alerts(db, RuleKey.KEYWORDS)
    return alert


def test_the_whole_life(db: Session, world: W) -> None:
    alert, who = _raised(db, world), world["town_dispatcher"]
    service.move(db, alert=alert, to=AlertStatus.ACKNOWLEDGED, actor=who)
    service.move(db, alert=alert, to=AlertStatus.HANDLED, actor=who, note="已约谈双方")
    service.move(db, alert=alert, to=AlertStatus.CLOSED, actor=who, note="双方达成谅解")
    db.commit()
    assert alert.status is AlertStatus.CLOSED and alert.open_key is None
    assert alert.closed_at is not None
    life = service.life(db, alert)
    assert [(e.from_status, e.to_status, e.note) for e in life] == [
        (None, AlertStatus.OPEN, ""),
        (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, ""),
        (AlertStatus.ACKNOWLEDGED, AlertStatus.HANDLED, "已约谈双方"),
        (AlertStatus.HANDLED, AlertStatus.CLOSED, "双方达成谅解")]
    assert {e.actor_id for e in life[1:]} == {who.id}
    audited = db.execute(select(AuditEntry.action).where(
        AuditEntry.subject == f"alert:{alert.id}")).scalars().all()
    assert audited == ["alert.acknowledged", "alert.handled", "alert.closed"]


@pytest.mark.parametrize(("steps", "illegal"), [
    ([], AlertStatus.CLOSED),  # open → closed
    ([], AlertStatus.HANDLED),  # not acknowledged yet
    ([AlertStatus.ACKNOWLEDGED], AlertStatus.ACKNOWLEDGED),  # twice
    ([AlertStatus.ACKNOWLEDGED, AlertStatus.HANDLED], AlertStatus.ACKNOWLEDGED),  # back
])
def test_illegal_moves_are_refused_with_a_message(db: Session, world: W,
                                                  steps: list[AlertStatus],
                                                  illegal: AlertStatus) -> None:
    alert, who = _raised(db, world), world["town_dispatcher"]
    for step in steps:
        service.move(db, alert=alert, to=step, actor=who, note="x")
    before = alert.status
    with pytest.raises(service.IllegalMove) as refused:
        service.move(db, alert=alert, to=illegal, actor=who, note="x")
    assert refused.value.message and refused.value.status is before
    assert alert.status is before


def test_closing_needs_a_note(db: Session, world: W) -> None:
    alert, who = _raised(db, world), world["town_dispatcher"]
    service.move(db, alert=alert, to=AlertStatus.ACKNOWLEDGED, actor=who)
    service.move(db, alert=alert, to=AlertStatus.HANDLED, actor=who)
    with pytest.raises(MissingInput) as missing:
        service.move(db, alert=alert, to=AlertStatus.CLOSED, actor=who, note="  ")
    assert missing.value.field == "note"
    assert alert.status is AlertStatus.HANDLED


def _close(db: Session, alert: Alert, who: Any) -> None:
    with time_machine.travel(T0 + DAY, tick=False):
        for to in (AlertStatus.ACKNOWLEDGED, AlertStatus.HANDLED, AlertStatus.CLOSED):
            service.move(db, alert=alert, to=to, actor=who, note="处理完毕")
    db.commit()


def test_a_closed_alert_is_not_raised_again_for_the_same_facts(db: Session,
                                                               world: W) -> None:
    alert = _raised(db, world)
    _close(db, alert, world["town_dispatcher"])
    # The case moves on (a new change the scan reads) but says nothing new.
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        dispatch.dispatch(db, order=db.execute(select(WorkOrder)).scalar_one(),
                          body_id=world["village_body"].id, actor=world["town_dispatcher"])
    db.commit()
    assert run_scan(db, T0 + 2 * DAY).cases == 1
    assert [a.id for a in alerts(db, RuleKey.KEYWORDS)] == [alert.id]


def test_new_words_after_closing_open_a_new_alert(db: Session, world: W) -> None:
    alert = _raised(db, world)
    _close(db, alert, world["town_dispatcher"])
    order = db.execute(select(WorkOrder)).scalar_one()
    mediator, start = world["village_mediator"], T0 + 3 * DAY
    meeting = MediationSession(case_id=order.case_id, mediator_id=mediator.id,
                               starts_at=start, duration_minutes=60,
                               ends_at=start + dt.timedelta(hours=1), mode=SessionMode.ONLINE)
    db.add(meeting)
    db.flush()
    minutes.save(db, meeting=meeting, actor=mediator, now=start,
                 sections=minutes.Sections(statements="被申请人称要去信访。"))
    db.commit()
    run_scan(db, start)
    found = alerts(db, RuleKey.KEYWORDS)
    assert [a.status for a in found] == [AlertStatus.CLOSED, AlertStatus.OPEN]


def test_the_same_subject_opens_once_while_an_alert_is_open(db: Session, world: W) -> None:
    order = report(db, world, T0)
    ctx = findings.load(db, [order.case_id])[0]
    finding = findings.case_finding(ctx, RuleKey.SENSITIVE_TYPE, AlertLevel.YELLOW,
                                    [{"msg": "x"}], ctx.received_at)
    now = T0 + dt.timedelta(hours=1)
    assert service.record(db, finding, now) == "opened"
    assert service.record(db, finding, now) == "updated"
    finding.level = AlertLevel.RED
    assert service.record(db, finding, now) == "updated"
    db.commit()
    [alert] = alerts(db)
    assert alert.level is AlertLevel.RED  # raised, and the owners were told
    assert len(_alert_notices(db, world["town_dispatcher"].id)) == 1
    events = db.execute(select(AlertEvent).where(AlertEvent.alert_id == alert.id)).all()
    assert len(events) == 1


def test_a_case_alert_follows_the_case_to_its_body(db: Session, world: W) -> None:
    alert = _raised(db, world)
    assert service.get_visible(db, world["village_admin"], alert.id) is None
    with time_machine.travel(T0 + DAY, tick=False):
        dispatch.dispatch(db, order=db.execute(select(WorkOrder)).scalar_one(),
                          body_id=world["village_body"].id, actor=world["town_dispatcher"])
    db.commit()
    run_scan(db, T0 + DAY)
    [again] = alerts(db, RuleKey.KEYWORDS)
    assert again.id == alert.id and again.owner_body_id == world["village_body"].id
    assert service.get_visible(db, world["village_admin"], alert.id) is not None
