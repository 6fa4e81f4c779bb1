"""``send_after_commit``: tasks leave only once their data is committed, and only then."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from kombu.exceptions import OperationalError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import worker
from portal.accounts.models import User
from portal.cases import services as cases
from portal.cases.models import CaseEvent
from portal.cases.states import Trigger
from portal.config import Settings
from portal.db import session_scope
from portal.notifications import tasks as notification_tasks
from portal.notifications.models import Notification
from portal.worker import celery_app, send_after_commit
from tests.factories import BodyFactory, CaseFactory, UserFactory, add_respondent

sent: list[tuple[Any, ...]] = []


@celery_app.task(name="tests.worker.record")
def record(*args: Any) -> None:
    sent.append(args)


@celery_app.task(name="tests.worker.explode")
def explode(*args: Any) -> None:
    raise RuntimeError(f"task failed for {args}")


@pytest.fixture(autouse=True)
def _calls() -> Iterator[None]:
    assert celery_app.conf.task_always_eager, "these tests expect eager Celery (no broker)"
    sent.clear()
    yield
    sent.clear()


def _users(session: Session) -> int:
    return session.execute(select(func.count()).select_from(User)).scalar_one()


def test_not_sent_before_commit_and_sent_once_after(db: Session) -> None:
    db.add(User(phone="13900000001", name="甲", password_hash="x"))
    db.flush()
    send_after_commit(db, record, 1, "a")
    assert sent == []
    db.flush()
    assert sent == []
    db.commit()
    assert sent == [(1, "a")]
    # Later commits of the same session do not send it again.
    db.add(User(phone="13900000002", name="乙", password_hash="x"))
    db.commit()
    db.commit()
    assert sent == [(1, "a")]


def test_tasks_run_in_order_each_once(db: Session) -> None:
    for n in range(3):
        send_after_commit(db, record, n)
    db.commit()
    assert sent == [(0,), (1,), (2,)]


def test_dropped_on_rollback(db: Session) -> None:
    db.add(User(phone="13900000003", name="丙", password_hash="x"))
    db.flush()
    send_after_commit(db, record, "gone")
    db.rollback()
    assert sent == []
    # Nothing leaks into the next transaction of the same session.
    db.add(User(phone="13900000004", name="丁", password_hash="x"))
    db.commit()
    assert sent == []
    assert _users(db) == 1


def test_dropped_when_closed_without_commit(db: Session) -> None:
    db.add(User(phone="13900000011", name="子", password_hash="x"))
    db.flush()
    send_after_commit(db, record, "abandoned")
    db.close()
    db.add(User(phone="13900000012", name="丑", password_hash="x"))
    db.commit()
    assert sent == []


def test_session_scope_error_drops_the_task() -> None:
    with pytest.raises(ValueError), session_scope() as session:
        session.add(User(phone="13900000005", name="戊", password_hash="x"))
        session.flush()
        send_after_commit(session, record, "never")
        raise ValueError("request failed")
    assert sent == []


def test_savepoint_release_is_not_the_commit(db: Session) -> None:
    """A released SAVEPOINT is still inside the outer transaction: nothing is visible yet."""
    send_after_commit(db, record, "outer")
    with db.begin_nested():
        db.add(User(phone="13900000006", name="己", password_hash="x"))
        send_after_commit(db, record, "inner")
    assert sent == []
    db.commit()
    assert sent == [("outer",), ("inner",)]


def test_savepoint_rollback_drops_only_its_own_tasks(db: Session) -> None:
    send_after_commit(db, record, "outer")
    with pytest.raises(ValueError), db.begin_nested():
        send_after_commit(db, record, "inner")
        with db.begin_nested():
            send_after_commit(db, record, "innermost")
        raise ValueError
    with db.begin_nested():
        send_after_commit(db, record, "kept")
    assert sent == []
    db.commit()
    assert sent == [("outer",), ("kept",)]


def test_root_rollback_with_open_savepoint_drops_everything(db: Session) -> None:
    send_after_commit(db, record, "outer")
    db.begin_nested()
    send_after_commit(db, record, "inner")
    db.rollback()
    db.commit()
    assert sent == []


def test_transition_then_new_case_notifies_after_commit(db: Session) -> None:
    """Numbering a new case uses a SAVEPOINT; the earlier event's notices must survive it."""
    body = BodyFactory()
    applicant, respondent = UserFactory(), UserFactory()
    case = CaseFactory(applicant=applicant, body_id=body.id)
    add_respondent(db, case, respondent)
    event = cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=applicant)
    cases.create_draft(db, applicant=applicant, data=cases.NewCase(title="another dispute"))
    db.commit()
    notified = set(db.execute(
        select(Notification.user_id).where(Notification.event_id == event.id)).scalars())
    assert notified == {respondent.id}


def test_send_error_propagates_in_tests_but_the_commit_stands(db: Session) -> None:
    """With ODR_EAGER_PROPAGATES (the test setting) the error surfaces from ``commit``."""
    assert worker.get_settings().eager_propagates
    db.add(User(phone="13900000007", name="庚", password_hash="x"))
    send_after_commit(db, explode, 7)
    send_after_commit(db, record, "after the failure")
    with pytest.raises(RuntimeError, match=r"task failed for \(7,\)"):
        db.commit()
    # The later task was still sent, and the data is committed.
    assert sent == [("after the failure",)]
    with session_scope() as other:
        assert _users(other) == 1
    # The session remains usable: roll back, query, write, commit.
    db.rollback()
    assert _users(db) == 1
    db.add(User(phone="13900000008", name="辛", password_hash="x"))
    db.commit()
    assert _users(db) == 2


def test_send_error_in_session_scope_surfaces_as_itself() -> None:
    with pytest.raises(RuntimeError, match="task failed"), session_scope() as session:
        session.add(User(phone="13900000009", name="壬", password_hash="x"))
        send_after_commit(session, explode)
    with session_scope() as other:
        assert _users(other) == 1


def test_send_error_is_logged_not_raised_in_production(
    db: Session, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A broker outage after commit must not tell the user their saved change was lost."""
    quiet = Settings(eager_propagates=False, secret_key="x" * 40)
    monkeypatch.setattr(worker, "get_settings", lambda: quiet)

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to redis: Connection refused.")

    monkeypatch.setattr(explode, "apply_async", broker_down)
    db.add(User(phone="13900000010", name="癸", password_hash="x"))
    send_after_commit(db, explode, 1)
    send_after_commit(db, record, 2)
    with caplog.at_level(logging.ERROR, logger="portal.worker"):
        db.commit()
    assert sent == [(2,)]
    assert any("tests.worker.explode" in r.getMessage() and r.exc_info for r in caplog.records)
    with session_scope() as other:
        assert _users(other) == 1


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_transition_schedules_its_notice_on_commit_only(
    db: Session, monkeypatch: pytest.MonkeyPatch, outcome: str
) -> None:
    monkeypatch.setattr(notification_tasks, "notify_case_event", record)
    applicant = UserFactory()
    case = CaseFactory(applicant=applicant)
    event = cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=applicant)
    event_id = event.id
    assert sent == []
    if outcome == "commit":
        db.commit()
        assert sent == [(event_id,)]
    else:
        db.rollback()
        assert sent == []
        assert db.execute(select(func.count()).select_from(CaseEvent)).scalar_one() == 0
