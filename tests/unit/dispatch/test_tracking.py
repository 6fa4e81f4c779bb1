"""The beat job with frozen time: reminders once, escalation when overdue, flags at the top."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import cli
from portal.bodies.models import Level
from portal.cases.models import CaseEvent
from portal.cases.states import Status, Trigger
from portal.deadlines.models import Deadline, DeadlineKind
from portal.dispatch import messages, services, tasks, tracking
from portal.dispatch.models import Priority, Step, WorkOrder
from portal.notifications.models import Notification
from tests.factories import make_report, settle
from tests.unit.dispatch.conftest import MONDAY

W = dict[str, Any]
# The ACCEPT step of an order dispatched on MONDAY ends on Thursday at 23:59:59 in Shanghai.
DUE = dt.datetime(2026, 12, 3, 15, 59, 59, tzinfo=dt.UTC)


def _messages(db: Session, user_id: int) -> list[str]:
    db.expire_all()
    return list(db.execute(select(Notification.message)
                           .where(Notification.user_id == user_id)).scalars())


def _dispatched(db: Session, world: W, body: str = "village", **report: Any) -> WorkOrder:
    with time_machine.travel(MONDAY, tick=False):
        order = make_report(db, world["grid"], world["village"], **report)
        dispatcher = world["city_dispatcher" if body == "city" else "town_dispatcher"]
        services.dispatch(db, order=order, body_id=world[f"{body}_body"].id, actor=dispatcher)
        db.commit()
    return order


def test_a_reminder_goes_out_once_before_the_step_is_due(db: Session, world: W) -> None:
    order = _dispatched(db, world)
    boss = world["village_admin"].id
    assert order.due_at == DUE
    assert tracking.scan(db, now=DUE - dt.timedelta(hours=25)) == tracking.ScanResult()
    assert tracking.scan(db, now=DUE - dt.timedelta(hours=23)).reminded == 1
    assert tracking.scan(db, now=DUE - dt.timedelta(hours=22)) == tracking.ScanResult()
    db.commit()
    assert _messages(db, boss).count(messages.REMIND) == 1
    assert order.reminded_at == DUE - dt.timedelta(hours=23)


def test_an_overdue_acceptance_is_escalated_from_village_to_town(db: Session,
                                                                 world: W) -> None:
    order = _dispatched(db, world)
    late = DUE + dt.timedelta(minutes=30)
    with time_machine.travel(late, tick=False):
        assert tasks.scan() == 1
        assert tasks.scan() == 0
    db.expire_all()
    assert (order.level, order.step, order.owner_area_id, order.escalations) == (
        Level.TOWN, Step.DISPATCH, world["town"].id, 1)
    event = order.case.events[-1]
    assert (event.trigger, event.actor_id, event.actor_role) == (
        Trigger.ESCALATE, None, "system")
    assert event.reason == tracking.overdue_reason(Step.ACCEPT, DUE)
    assert "2026-12-03 23:59" in event.reason
    accept_step = order.steps[1]
    assert (accept_step.step, accept_step.ended_at, accept_step.went_overdue) == (
        Step.ACCEPT, late, True)
    assert (accept_step.note, accept_step.case_event_id) == (event.reason, event.id)
    assert (order.steps[-1].step, order.steps[-1].level) == (Step.DISPATCH, Level.TOWN)
    assert order.case.body_id is None and order.case.status is Status.SUBMITTED
    # The village body's acceptance deadline is moot; the town's centre is told.
    accept = db.execute(select(Deadline).where(Deadline.kind == DeadlineKind.ACCEPT)
                        ).scalar_one()
    assert accept.outcome == "cancelled"
    assert messages.ESCALATED in _messages(db, world["town_dispatcher"].id)


def test_overdue_at_the_city_is_flagged_not_escalated(db: Session, world: W) -> None:
    order = _dispatched(db, world, "city", priority=Priority.MAJOR)
    assert order.level is Level.CITY
    late = DUE + dt.timedelta(hours=1)
    assert tracking.scan(db, now=late) == tracking.ScanResult(flagged=1)
    assert tracking.scan(db, now=late + dt.timedelta(hours=1)) == tracking.ScanResult()
    db.commit()
    assert (order.level, order.step, order.overdue_since, order.escalations) == (
        Level.CITY, Step.ACCEPT, late, 0)
    assert [e.trigger for e in order.case.events] == [Trigger.DISPATCH]
    for user in ("city_admin", "city_dispatcher"):
        assert _messages(db, world[user].id).count(messages.OVERDUE) == 1


def test_an_overdue_dispatch_step_is_flagged_to_the_centre_above(db: Session,
                                                                 world: W) -> None:
    with time_machine.travel(MONDAY, tick=False):
        order = make_report(db, world["grid"], world["village"])
    late = order.due_at + dt.timedelta(seconds=1)  # type: ignore[operator]
    assert tracking.scan(db, now=late).flagged == 1
    db.commit()
    assert order.step is Step.DISPATCH and order.level is Level.VILLAGE
    for user in ("town_dispatcher", "city_dispatcher"):
        assert messages.OVERDUE in _messages(db, world[user].id)
    # Dispatching it ends the flag: the new step runs on its own time.
    with time_machine.travel(late + dt.timedelta(hours=1), tick=False):
        services.dispatch(db, order=order, body_id=world["village_body"].id,
                          actor=world["town_dispatcher"])
        db.commit()
    assert order.overdue_since is None and order.steps[0].went_overdue


def test_a_case_that_cannot_move_up_now_is_flagged(db: Session, world: W) -> None:
    order = _dispatched(db, world)
    settle(db, order, world, "village")
    order.case.status = Status.SIGNING  # signatures are being collected
    order.step, order.due_at = Step.HANDLE, MONDAY
    db.commit()
    assert tracking.scan(db, now=MONDAY + dt.timedelta(days=1)).flagged == 1


def test_one_failure_does_not_stop_the_others(db: Session, world: W,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = _dispatched(db, world), _dispatched(db, world)
    real = services.escalate

    def flaky(session: Session, *, order: WorkOrder, **kwargs: Any) -> CaseEvent:
        if order.id == first.id:
            raise RuntimeError("boom")
        return real(session, order=order, **kwargs)

    monkeypatch.setattr(services, "escalate", flaky)
    assert tracking.scan(db, now=DUE + dt.timedelta(hours=1)).escalated == 1
    db.commit()
    assert (first.level, second.level) == (Level.VILLAGE, Level.TOWN)


def test_the_command_line(db: Session, world: W) -> None:
    _dispatched(db, world)
    with time_machine.travel(DUE + dt.timedelta(hours=1), tick=False):
        result = CliRunner().invoke(cli.main, ["dispatch", "scan"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 reminded, 1 escalated, 0 flagged"
