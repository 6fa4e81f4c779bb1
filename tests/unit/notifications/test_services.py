"""Who is told what: next actors get what to do; key events go out by SMS, once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.cases import review
from portal.cases import services as cases
from portal.cases.states import Trigger
from portal.config import get_settings
from portal.notifications import messages, tasks
from portal.notifications import services as notifications
from portal.notifications.models import Notification, OutboundMessage
from tests.factories import UserFactory, review_world


@pytest.fixture
def world(db: Session) -> dict:
    w = review_world(db)
    w["case"].participants[1].email = "lisi@example.com"
    db.commit()
    return w


def _messages(db: Session, recipient: str) -> list[str]:
    db.expire_all()
    return list(db.execute(select(OutboundMessage.body)
                           .where(OutboundMessage.recipient == recipient)).scalars())


def test_the_next_actor_is_told_what_to_do(db: Session, world: dict) -> None:
    event = cases.transition(db, case=world["case"], trigger=Trigger.SUBMIT,
                             actor=world["applicant"])
    db.commit()
    rows = dict(db.execute(select(Notification.user_id, Notification.message)
                           .where(Notification.event_id == event.id)).all())
    assert rows == {world["boss"].id: messages.NEXT_ACTION[event.to_status][0][1]}


def test_key_events_go_out_by_sms_and_email_once(db: Session, world: dict) -> None:
    case = world["case"]
    cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=world["applicant"])
    assert _messages(db, world["applicant"].phone) == []  # submitting is not a key event
    events = review.accept(db, case=case, actor=world["boss"])
    db.commit()
    applicant_texts = _messages(db, world["applicant"].phone)
    # "accepted" and "respondent invited", each once, each naming the case.
    assert len(applicant_texts) == 2 and all(case.number in t for t in applicant_texts)
    # The respondent's only text is the invitation (also by e-mail); not the applicant's news.
    assert len(_messages(db, "13700001111")) == 1
    assert len(_messages(db, "lisi@example.com")) == 1
    for event in events:  # a redelivered task sends nothing again
        assert tasks.notify_case_event(event.id) == 0
    assert len(_messages(db, world["applicant"].phone)) == 2


def test_without_a_gateway_notices_still_arrive(db: Session, world: dict,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "sms_gateway", "disabled")
    monkeypatch.setattr(get_settings(), "email_gateway", "disabled")
    case = world["case"]
    cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=world["applicant"])
    event = cases.transition(db, case=case, trigger=Trigger.ACCEPT, actor=world["boss"])
    db.commit()
    assert db.execute(select(func.count()).select_from(OutboundMessage)).scalar_one() == 0
    assert db.execute(select(Notification.user_id).where(
        Notification.event_id == event.id)).scalars().all() == [world["applicant"].id]


def test_notices_without_an_event_are_sent_once(db: Session, world: dict) -> None:
    other = UserFactory()
    ids = {world["boss"].id, other.id}
    assert notifications.notify_users(db, occasion="deadline:1:expired", user_ids=ids,
                                      case=world["case"], message=messages.ACCEPT_OVERDUE) == 2
    assert notifications.notify_users(db, occasion="deadline:1:expired", user_ids=ids,
                                      case=world["case"], message=messages.ACCEPT_OVERDUE) == 0
    db.commit()
    assert db.execute(select(func.count()).select_from(Notification)).scalar_one() == 2


def test_dispatchers_of_the_areas_above_are_found(db: Session, world: dict) -> None:
    from tests.factories import AreaFactory

    city = AreaFactory()
    world["area"].parent_id = city.id
    db.commit()
    above = UserFactory(role=Role.DISPATCHER, area_id=city.id)
    elsewhere = UserFactory(role=Role.DISPATCHER, area_id=AreaFactory().id)
    found = notifications.dispatcher_ids(db, world["area"].id)
    assert world["dispatcher"].id in found and above.id in found
    assert elsewhere.id not in found
