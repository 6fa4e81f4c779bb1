"""The body's review: accept (and invite), decline, refer; the applicant's new body."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.cases import review
from portal.cases import services as cases
from portal.cases.models import Case, RespondentInvite
from portal.cases.states import Status, Trigger
from portal.notifications.models import Notification
from tests.factories import BodyFactory, UserFactory, review_world


@pytest.fixture
def world(db: Session) -> dict:
    w = review_world(db)
    cases.transition(db, case=w["case"], trigger=Trigger.SUBMIT, actor=w["applicant"])
    db.commit()
    return w


def test_accepting_invites_the_respondent(db: Session, world: dict) -> None:
    events = review.accept(db, case=world["case"], actor=world["boss"])
    db.commit()
    assert [e.trigger for e in events] == [Trigger.ACCEPT, Trigger.CONTACT_RESPONDENT]
    assert world["case"].status is Status.AWAITING_RESPONDENT
    assert db.execute(select(RespondentInvite)).scalar_one().participant_id == \
        world["respondent"].id


def test_without_a_phone_the_case_is_only_accepted(db: Session, world: dict) -> None:
    world["respondent"].phone = ""
    db.commit()
    review.accept(db, case=world["case"], actor=world["boss"])
    db.commit()
    assert world["case"].status is Status.ACCEPTED
    with pytest.raises(cases.MissingInput) as err:
        from portal.cases import consent

        consent.contact_respondents(db, case=world["case"], actor=world["boss"])
    assert err.value.field == "respondents"


def test_declining_needs_a_reason_and_the_applicant_may_go_elsewhere(
        db: Session, world: dict) -> None:
    case = world["case"]
    with pytest.raises(cases.MissingInput):
        review.decline(db, case=case, actor=world["boss"], reason="  ")
    review.decline(db, case=case, actor=world["boss"], reason="不属于本会受理范围")
    db.commit()
    assert case.status is Status.DECLINED
    notice = db.execute(select(Notification.message).where(
        Notification.user_id == world["applicant"].id)).scalars().all()
    assert "Case {number} was declined. You may choose another mediation body." in notice

    other = BodyFactory(dispute_types=["labour"])
    with pytest.raises(cases.MissingInput):  # the same body again
        review.resubmit(db, case=case, actor=world["applicant"], body_id=case.body_id)
    with pytest.raises(cases.MissingInput):  # a body for other disputes
        review.resubmit(db, case=case, actor=world["applicant"],
                        body_id=BodyFactory(dispute_types=["family"]).id)
    review.resubmit(db, case=case, actor=world["applicant"], body_id=other.id)
    db.commit()
    assert (case.status, case.body_id) == (Status.SUBMITTED, other.id)
    # The new body's administrator is asked to review it.
    new_boss = UserFactory(role=Role.BODY_ADMIN, body_id=other.id)
    assert review.accept(db, case=case, actor=new_boss)


def test_referral_moves_the_case_and_checks_the_target(db: Session, world: dict) -> None:
    case = world["case"]
    city = BodyFactory()
    with pytest.raises(cases.MissingInput) as err:
        review.refer(db, case=case, actor=world["boss"], body_id=city.id, reason="")
    assert err.value.field == "reason"
    with pytest.raises(cases.MissingInput):
        review.refer(db, case=case, actor=world["boss"], body_id=None, reason="x")
    # A dispatcher of the area may refer too; the old body loses the case.
    review.refer(db, case=case, actor=world["dispatcher"], body_id=city.id, reason="上交市级")
    db.commit()
    assert db.get(Case, case.id).body_id == city.id  # type: ignore[union-attr]
    with pytest.raises(cases.NotAllowed):
        review.accept(db, case=case, actor=world["boss"])


def test_a_bare_refer_without_a_body_is_refused(db: Session, world: dict) -> None:
    """The generic action path cannot refer without naming the new body."""
    with pytest.raises(cases.MissingInput) as err:
        cases.act(db, case=world["case"], trigger=Trigger.REFER, actor=world["boss"])
    assert err.value.field == "body_id"
    db.rollback()
    assert db.get(Case, world["case"].id).status is Status.SUBMITTED  # type: ignore[union-attr]
