"""The ``notifications.notify_case_event`` task: the people to tell, each told once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.cases import services as cases
from portal.cases.models import Case, CaseEvent
from portal.cases.states import Trigger
from portal.notifications import tasks
from portal.notifications.models import Notification
from tests.factories import BodyFactory, CaseFactory, UserFactory, add_respondent


@pytest.fixture
def no_auto_send(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Keep ``transition`` from running the task on commit; the test runs it itself."""
    queued: list[int] = []

    def capture(_session: Session, task: object, event_id: int) -> None:
        assert task is tasks.notify_case_event
        queued.append(event_id)

    monkeypatch.setattr(cases, "send_after_commit", capture)
    yield queued


@pytest.fixture
def people(db: Session) -> dict[str, User | Case]:
    body = BodyFactory()
    applicant, respondent = UserFactory(), UserFactory()
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id)
    UserFactory(role=Role.BODY_ADMIN, body_id=body.id, is_active=False)
    UserFactory(role=Role.BODY_ADMIN, body_id=BodyFactory().id)  # another body's admin
    case = CaseFactory(applicant=applicant, body_id=body.id, area_id=body.area_id)
    add_respondent(db, case, respondent)
    return dict(applicant=applicant, respondent=respondent, boss=boss, case=case)


def _notified(db: Session, event_id: int) -> list[int]:
    db.expire_all()
    return sorted(db.execute(
        select(Notification.user_id).where(Notification.event_id == event_id)).scalars())


def _submit(db: Session, people: dict[str, User | Case]) -> CaseEvent:
    case, applicant = people["case"], people["applicant"]
    assert isinstance(case, Case) and isinstance(applicant, User)
    event = cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=applicant)
    db.commit()
    return event


def test_running_twice_notifies_once(
    db: Session, people: dict[str, User | Case], no_auto_send: list[int]
) -> None:
    event = _submit(db, people)
    assert no_auto_send == [event.id]
    assert _notified(db, event.id) == []  # the task has not run yet

    assert tasks.notify_case_event(event.id) == 2
    first = _notified(db, event.id)
    assert tasks.notify_case_event(event.id) == 0  # redelivery: nothing new
    assert _notified(db, event.id) == first
    rows = db.execute(select(Notification).where(Notification.event_id == event.id)).scalars()
    assert all(n.case_id == people["case"].id for n in rows)


def test_recipients_exclude_the_actor(
    db: Session, people: dict[str, User | Case], no_auto_send: list[int]
) -> None:
    event = _submit(db, people)
    tasks.notify_case_event(event.id)
    recipients = _notified(db, event.id)
    assert people["applicant"].id not in recipients
    assert recipients == sorted([people["respondent"].id, people["boss"].id])

    # The body admin acts next: now the applicant is told and the admin is not.
    case, boss = people["case"], people["boss"]
    assert isinstance(case, Case) and isinstance(boss, User)
    accepted = cases.transition(db, case=case, trigger=Trigger.ACCEPT, actor=boss)
    db.commit()
    tasks.notify_case_event(accepted.id)
    assert _notified(db, accepted.id) == sorted([people["applicant"].id,
                                                 people["respondent"].id])


def test_a_partly_delivered_event_is_completed(
    db: Session, people: dict[str, User | Case], no_auto_send: list[int]
) -> None:
    """A retry after a crash adds only the notices still missing."""
    event = _submit(db, people)
    respondent = people["respondent"]
    db.add(Notification(user_id=respondent.id, case_id=event.case_id, event_id=event.id,
                        message="earlier attempt"))
    db.commit()
    assert tasks.notify_case_event(event.id) == 1
    assert _notified(db, event.id) == sorted([respondent.id, people["boss"].id])


def test_unknown_event_is_a_no_op(db: Session) -> None:
    assert tasks.notify_case_event(987654) == 0
    assert db.execute(select(Notification)).first() is None


def test_commit_runs_the_task_once(db: Session, people: dict[str, User | Case]) -> None:
    """Without interception, committing a transition runs the task (eager Celery) once."""
    event = _submit(db, people)
    assert _notified(db, event.id) == sorted([people["respondent"].id, people["boss"].id])
    assert tasks.notify_case_event(event.id) == 0
