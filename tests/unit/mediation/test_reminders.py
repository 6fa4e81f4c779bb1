"""Reminders the day before and 15 minutes before, each once (time frozen)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.cases.states import Status
from portal.db.types import utcnow
from portal.mediation import services, tasks
from portal.notifications.models import Notification, OutboundMessage
from portal.worker import BEAT_SCHEDULE, TASK_MODULES, celery_app
from tests.mediation_world import AGENT_PHONE, RESPONDENT_PHONE, World

# The texts go out in the recipient's language: Chinese unless they chose English.
TOMORROW, SOON = "明天", "15分钟后"


def _texts(db: Session, phone: str) -> list[str]:
    db.expire_all()
    return list(db.execute(select(OutboundMessage.body).where(
        OutboundMessage.recipient == phone).order_by(OutboundMessage.id)).scalars())


def _count(db: Session) -> int:
    db.expire_all()
    return db.execute(select(func.count()).select_from(OutboundMessage)).scalar_one()


def _start() -> dt.datetime:
    return (utcnow() + dt.timedelta(days=3)).replace(second=0, microsecond=0)


def test_the_day_before_and_15_minutes_before_each_once(db: Session, world: World,
                                                        make_session: Any) -> None:
    start = _start()
    meeting = make_session(starts_at=start, participant_ids=[*world.party_ids, world.agent.id])
    sent = _count(db)
    with time_machine.travel(start - dt.timedelta(hours=24, minutes=1), tick=False):
        assert tasks.remind() == 0
    assert _count(db) == sent
    with time_machine.travel(start - dt.timedelta(hours=23, minutes=59, seconds=30), tick=False):
        assert tasks.remind() == 1
        assert tasks.remind() == 0
    day = _texts(db, RESPONDENT_PHONE)[-1]
    assert TOMORROW in day and world.case.number in day and "/join?t=" in day
    assert TOMORROW in _texts(db, AGENT_PHONE)[-1]
    with time_machine.travel(start - dt.timedelta(hours=2), tick=False):
        assert tasks.remind() == 0
    with time_machine.travel(start - dt.timedelta(minutes=14), tick=False):
        assert tasks.remind() == 1
        assert tasks.remind() == 0
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        assert tasks.remind() == 0
    texts = _texts(db, RESPONDENT_PHONE)
    assert len(texts) == 3 and SOON in texts[2]
    # In the portal too: the invitation, then each reminder.
    notices = db.execute(select(Notification.message).where(
        Notification.user_id == world.respondent.id)).scalars().all()
    # In-portal notices keep the msgid; the page renders it in the reader's language.
    assert len(notices) == 3 and "tomorrow" in notices[1] and "15 minutes" in notices[2]
    assert meeting.status.value == "scheduled"


def test_no_reminder_for_a_cancelled_session(db: Session, world: World,
                                             make_session: Any) -> None:
    start = _start()
    meeting = make_session(starts_at=start)
    services.cancel(db, meeting=meeting, actor=world.mediator, reason="x")
    db.commit()
    sent = _count(db)
    for before in (dt.timedelta(hours=23), dt.timedelta(minutes=10)):
        with time_machine.travel(start - before, tick=False):
            assert tasks.remind() == 0
    assert _count(db) == sent


def test_no_reminder_once_mediation_is_over(db: Session, world: World,
                                           make_session: Any) -> None:
    start = _start()
    make_session(starts_at=start)
    world.case.status = Status.MEDIATION_FAILED
    db.commit()
    with time_machine.travel(start - dt.timedelta(minutes=10), tick=False):
        assert tasks.remind() == 0


def test_a_session_set_for_today_gets_only_the_last_reminder(db: Session, world: World,
                                                             make_session: Any) -> None:
    start = (utcnow() + dt.timedelta(hours=5)).replace(second=0, microsecond=0)
    make_session(starts_at=start)
    with time_machine.travel(start - dt.timedelta(hours=4), tick=False):
        assert tasks.remind() == 0
    with time_machine.travel(start - dt.timedelta(minutes=15), tick=False):
        assert tasks.remind() == 1
    texts = _texts(db, RESPONDENT_PHONE)
    assert len(texts) == 2 and SOON in texts[1]


def test_a_late_scan_sends_only_the_reminder_still_useful(db: Session, world: World,
                                                          make_session: Any) -> None:
    start = _start()
    make_session(starts_at=start)
    # The beat was down for the day-before moment: at 10 minutes to go, only "soon".
    with time_machine.travel(start - dt.timedelta(minutes=10), tick=False):
        assert tasks.remind() == 1
    texts = _texts(db, RESPONDENT_PHONE)
    assert len(texts) == 2 and SOON in texts[1]


def test_beat_runs_it_every_minute() -> None:
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "mediation.remind")
    assert entry["schedule"] == 60.0
    assert "portal.mediation.tasks" in TASK_MODULES
    assert "mediation.remind" in celery_app.tasks
