"""The respondent's consent: single-use links stored as hashes, identity, answers."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.passwords import verify_password
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.cases import consent, review
from portal.cases import services as cases
from portal.cases.models import Case, RespondentInvite
from portal.cases.states import Status, Trigger
from portal.db.types import utcnow
from portal.notifications.models import OutboundMessage
from tests.factories import ID_NUMBERS, UserFactory, add_respondent_contact, review_world

PHONE = "13700001111"


def _sms(db: Session, phone: str) -> list[str]:
    db.expire_all()
    return list(db.execute(select(OutboundMessage.body).where(
        OutboundMessage.channel == "sms", OutboundMessage.recipient == phone)
        .order_by(OutboundMessage.id)).scalars())


def _token(db: Session, phone: str = PHONE) -> str:
    found = [m for m in _sms(db, phone) if "/respond/" in m]
    match = re.search(r"/respond/([A-Za-z0-9_-]+)", found[-1])
    assert match is not None
    return match.group(1)


def _code(db: Session, token: str) -> str:
    consent.send_code(db, token=token, client="test")
    db.commit()
    match = re.search(r"(\d{6})", _sms(db, PHONE)[-1])
    assert match is not None
    return match.group(1)


@pytest.fixture
def world(db: Session) -> dict:
    w = review_world(db, respondent_id_number=ID_NUMBERS[2])
    cases.transition(db, case=w["case"], trigger=Trigger.SUBMIT, actor=w["applicant"])
    review.accept(db, case=w["case"], actor=w["boss"])
    db.commit()
    return w


def _identity(code: str, name: str = "李四", last4: str = ID_NUMBERS[2][-4:]) -> consent.Identity:
    return consent.Identity(name=name, id_last4=last4, code=code)


def test_the_invitation_stores_only_a_hash_and_texts_the_link(db: Session, world: dict) -> None:
    case = world["case"]
    assert case.status is Status.AWAITING_RESPONDENT
    token = _token(db)
    row = db.execute(select(RespondentInvite)).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash and len(token) >= 40
    assert f"http://127.0.0.1:8000/respond/{token}" in _sms(db, PHONE)[-1]
    assert case.number in _sms(db, PHONE)[-1]
    # The link expires with the RESPONDENT deadline.
    from portal.deadlines import services as deadlines
    from portal.deadlines.models import DeadlineKind

    due = deadlines.current(db, case.id, DeadlineKind.RESPONDENT)
    assert due is not None and row.expires_at == due.due_at


def test_bad_links_are_refused(db: Session, world: dict) -> None:
    token = _token(db)
    with pytest.raises(consent.LinkInvalid) as err:
        consent.find_invite(db, token + "x")
    assert err.value.status == 404
    row = db.execute(select(RespondentInvite)).scalar_one()
    with pytest.raises(consent.LinkInvalid) as err:
        consent.find_invite(db, token, now=row.expires_at)
    assert err.value.status == 410 and "expired" in err.value.message
    assert consent.find_invite(db, token, now=row.expires_at - dt.timedelta(seconds=1)) == row


def test_identity_is_checked_before_anything_changes(db: Session, world: dict) -> None:
    token = _token(db)
    code = _code(db, token)
    with pytest.raises(InvalidField) as err:
        consent.verify(db, token=token, identity=_identity(code, name="王五"))
    assert err.value.field == "name"
    with pytest.raises(InvalidField) as err:
        consent.verify(db, token=token, identity=_identity(code, last4="0000"))
    assert err.value.field == "id_last4"
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(InvalidField) as err:
        consent.verify(db, token=token, identity=_identity(wrong))
    assert err.value.field == "code"
    db.rollback()
    assert db.execute(select(User).where(User.phone == PHONE)).first() is None
    assert world["respondent"].user_id is None


def test_a_verified_respondent_gets_a_passwordless_account(db: Session, world: dict) -> None:
    token = _token(db)
    user = consent.verify(db, token=token, identity=_identity(_code(db, token)))
    db.commit()
    assert user.phone == PHONE and user.role is Role.PARTY and user.name == "李四"
    assert user.id_number == ID_NUMBERS[2] and user.phone_verified_at is not None
    assert not verify_password(user.password_hash, "")  # no password login until one is set
    assert world["respondent"].user_id == user.id
    # The link stays usable until the answer, so a second device can verify too.
    assert consent.find_invite(db, token).id is not None


def test_an_existing_party_account_is_linked_but_not_a_staff_one(db: Session) -> None:
    w = review_world(db)
    existing = UserFactory(phone=PHONE, name="李四")
    cases.transition(db, case=w["case"], trigger=Trigger.SUBMIT, actor=w["applicant"])
    review.accept(db, case=w["case"], actor=w["boss"])
    db.commit()
    token = _token(db)
    user = consent.verify(db, token=token, identity=_identity(_code(db, token), last4=""))
    assert user.id == existing.id
    db.rollback()
    existing.role = Role.MEDIATOR
    db.commit()
    # Refused before the code is even checked.
    with pytest.raises(InvalidField) as err:
        consent.verify(db, token=token, identity=_identity("000000", last4=""))
    assert "cannot answer" in err.value.message


def test_refusal_ends_mediation_and_the_link_cannot_be_reused(db: Session, world: dict) -> None:
    token = _token(db)
    user = consent.verify(db, token=token, identity=_identity(_code(db, token)))
    event = consent.answer(db, token=token, user=user, agree=False, reason="不同意调解")
    db.commit()
    assert event is not None and event.trigger is Trigger.RESPONDENT_REFUSE
    assert world["case"].status is Status.MEDIATION_FAILED
    row = db.execute(select(RespondentInvite)).scalar_one()
    assert (row.answer, row.used_at is not None) == ("refuse", True)
    with pytest.raises(consent.LinkInvalid) as err:
        consent.answer(db, token=token, user=user, agree=True)
    assert err.value.status == 410 and "already been used" in err.value.message


def test_every_respondent_must_agree(db: Session) -> None:
    w = review_world(db)
    second = add_respondent_contact(db, w["case"], name="王五", phone="13700002222")
    case = w["case"]
    cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=w["applicant"])
    review.accept(db, case=case, actor=w["boss"])
    db.commit()
    assert len(db.execute(select(RespondentInvite)).all()) == 2
    first_token = _token(db)
    first = consent.verify(db, token=first_token, identity=_identity(_code(db, first_token),
                                                                     last4=""))
    assert consent.answer(db, token=first_token, user=first, agree=True) is None
    db.commit()
    assert case.status is Status.AWAITING_RESPONDENT
    # The other respondent has an account and answers on the case page.
    other = UserFactory(phone="13700002222")
    second.user_id = other.id
    db.commit()
    event = consent.answer_in_portal(db, case=case, user=other, agree=True)
    db.commit()
    assert event is not None and event.actor_id == other.id
    assert case.status is Status.RESPONDENT_AGREED


def test_the_body_records_an_answer_with_its_reason(db: Session, world: dict) -> None:
    case, boss = world["case"], world["boss"]
    with pytest.raises(cases.MissingInput) as err:
        consent.answer_in_portal(db, case=case, user=boss, agree=True,
                                 participant_id=world["respondent"].id)
    assert err.value.field == "reason"
    with pytest.raises(cases.NotAllowed):
        consent.answer_in_portal(db, case=case, user=world["applicant"], agree=True)
    consent.answer_in_portal(db, case=case, user=boss, agree=True, reason="电话确认同意",
                             participant_id=world["respondent"].id, now=utcnow())
    db.commit()
    assert db.get(Case, case.id).status is Status.RESPONDENT_AGREED  # type: ignore[union-attr]
    assert case.events[-1].reason == "电话确认同意"
    with pytest.raises(consent.LinkInvalid):
        consent.find_invite(db, _token(db))


def test_the_first_password_is_set_once(db: Session, world: dict) -> None:
    from portal.cases import respondent_accounts

    token = _token(db)
    user = consent.verify(db, token=token, identity=_identity(_code(db, token)))
    assert respondent_accounts.needs_password(user)
    with pytest.raises(InvalidField) as err:
        respondent_accounts.set_first_password(db, user=user, password="short", repeat="short")
    assert err.value.field == "password"
    respondent_accounts.set_first_password(db, user=user, password="river-stone-lantern-42",
                                           repeat="river-stone-lantern-42")
    assert verify_password(user.password_hash, "river-stone-lantern-42")
    with pytest.raises(InvalidField) as err:
        respondent_accounts.set_first_password(db, user=user, password="another-long-phrase-9",
                                               repeat="another-long-phrase-9")
    assert "already has a password" in err.value.message
