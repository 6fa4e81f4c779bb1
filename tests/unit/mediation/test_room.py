"""What the room will call: join links, identity, consent, admission, chat, caucus, data."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.validation import InvalidField
from portal.audit.models import AuditEntry
from portal.audit.services import verify
from portal.cases.services import MissingInput, NotAllowed
from portal.mediation import minutes, room, services, tokens
from portal.mediation.models import (
    Audience,
    MediationSession,
    SessionInvitee,
    SessionStatus,
    Side,
)
from portal.notifications.models import OutboundMessage
from tests.mediation_world import AGENT_PHONE, RESPONDENT_PHONE, World


def _people(meeting: MediationSession) -> dict[str, SessionInvitee]:
    return {i.name: i for i in meeting.invitees}


@pytest.fixture
def meeting(make_session: Any, world: World) -> MediationSession:
    return make_session(participant_ids=[*world.party_ids, world.agent.id],
                        recording_requested=True)


def _code(db: Session, phone: str) -> str:
    db.expire_all()
    body = db.execute(select(OutboundMessage.body).where(OutboundMessage.recipient == phone)
                      .order_by(OutboundMessage.id.desc()).limit(1)).scalar_one()
    found = re.search(r"\d{6}", body)
    assert found is not None
    return found.group(0)


def _verified(db: Session, invitee: SessionInvitee) -> None:
    phone = room.contact(db, invitee).phone
    room.send_identity_code(db, invitee=invitee, client="test")
    room.verify_identity(db, invitee=invitee, code=_code(db, phone))


def test_a_link_opens_only_its_own_session(db: Session, world: World,
                                           meeting: MediationSession,
                                           make_session: Any) -> None:
    lisi = _people(meeting)["李四"]
    token = tokens.join_token(lisi)
    assert room.invitee_for_token(db, token, meeting_id=meeting.id) is lisi
    other = make_session(starts_at=meeting.starts_at + dt.timedelta(days=1))
    for forged, meeting_id in ((token, other.id), (token[:-2] + "xx", meeting.id),
                               ("", meeting.id)):
        with pytest.raises(room.JoinRefused) as refused:
            room.invitee_for_token(db, forged, meeting_id=meeting_id)
        assert refused.value.status == 404


def test_a_link_expires_when_the_session_ends(db: Session, meeting: MediationSession) -> None:
    token = tokens.join_token(_people(meeting)["张三"])
    room.invitee_for_token(db, token, meeting_id=meeting.id,
                           now=meeting.ends_at - dt.timedelta(seconds=1))
    with pytest.raises(room.JoinRefused) as refused:
        room.invitee_for_token(db, token, meeting_id=meeting.id, now=meeting.ends_at)
    assert refused.value.status == 410
    # A session running over its planned time can still be joined until it is ended.
    meeting.status = SessionStatus.LIVE
    room.invitee_for_token(db, token, meeting_id=meeting.id,
                           now=meeting.ends_at + dt.timedelta(minutes=30))
    meeting.status = SessionStatus.ENDED
    with pytest.raises(room.JoinRefused):
        room.invitee_for_token(db, token, meeting_id=meeting.id)


def test_identity_by_one_time_code(db: Session, meeting: MediationSession) -> None:
    lisi = _people(meeting)["李四"]
    assert room.send_identity_code(db, invitee=lisi, client="test") == "137****1111"
    with pytest.raises(InvalidField):
        room.verify_identity(db, invitee=lisi, code="000000" if _code(
            db, RESPONDENT_PHONE) != "000000" else "111111")
    assert lisi.identity_verified_at is None
    room.verify_identity(db, invitee=lisi, code=_code(db, RESPONDENT_PHONE))
    assert lisi.identity_verified_at is not None
    # The agent has no account: the participant's phone is used.
    agent = _people(meeting)["赵律师"]
    room.send_identity_code(db, invitee=agent, client="test")
    room.verify_identity(db, invitee=agent, code=_code(db, AGENT_PHONE))
    assert agent.identity_verified_at is not None


def test_the_mediator_attests_identity_only_for_people_in_the_room(
        db: Session, world: World, make_session: Any) -> None:
    meeting = make_session(mode="in_person", location="调解室",
                           in_person_ids=[world.respondent_party.id])
    lisi, zhang = _people(meeting)["李四"], _people(meeting)["张三"]
    room.attest_identity(db, invitee=lisi, actor=world.mediator)
    assert lisi.identity_verified_at is not None
    with pytest.raises(MissingInput):
        room.attest_identity(db, invitee=zhang, actor=world.mediator)
    with pytest.raises(NotAllowed):
        room.attest_identity(db, invitee=lisi, actor=world.other_mediator)


def test_admission_needs_a_confirmed_identity(db: Session, world: World,
                                              meeting: MediationSession) -> None:
    zhang = _people(meeting)["张三"]
    with pytest.raises(NotAllowed):
        room.mark_joined(db, invitee=zhang)  # waits until admitted
    with pytest.raises(MissingInput) as refused:
        room.admit(db, invitee=zhang, actor=world.mediator)
    assert refused.value.field == "identity"
    _verified(db, zhang)
    with pytest.raises(NotAllowed):
        room.admit(db, invitee=zhang, actor=world.applicant)
    room.admit(db, invitee=zhang, actor=world.mediator)
    mediator = _people(meeting)["王调解"]
    room.start(db, meeting=meeting, actor=world.mediator)
    t0 = meeting.started_at
    assert meeting.status is SessionStatus.LIVE and t0 is not None
    room.mark_joined(db, invitee=mediator, now=t0)
    room.mark_joined(db, invitee=zhang, now=t0 + dt.timedelta(minutes=1))
    room.mark_left(db, invitee=zhang, now=t0 + dt.timedelta(minutes=5))
    room.mark_joined(db, invitee=zhang, now=t0 + dt.timedelta(minutes=6))  # reconnect
    assert zhang.joined_at == t0 + dt.timedelta(minutes=1) and zhang.left_at is None
    room.end(db, meeting=meeting, actor=world.mediator, now=t0 + dt.timedelta(minutes=50))
    assert meeting.status is SessionStatus.ENDED
    assert zhang.left_at == mediator.left_at == t0 + dt.timedelta(minutes=50)
    with pytest.raises(MissingInput):
        room.mark_joined(db, invitee=zhang)
    db.commit()
    assert verify(db).ok


def test_a_removed_invitee_is_out_for_good(db: Session, world: World,
                                           meeting: MediationSession) -> None:
    zhang = _people(meeting)["张三"]
    _verified(db, zhang)
    room.admit(db, invitee=zhang, actor=world.mediator)
    room.mark_joined(db, invitee=zhang)
    room.remove(db, invitee=zhang, actor=world.mediator)
    assert zhang.left_at is not None
    with pytest.raises(room.JoinRefused) as refused:
        room.invitee_for_token(db, tokens.join_token(zhang), meeting_id=meeting.id)
    assert refused.value.status == 403
    with pytest.raises(NotAllowed):
        room.mark_joined(db, invitee=zhang)
    with pytest.raises(MissingInput):
        room.admit(db, invitee=zhang, actor=world.mediator)
    with pytest.raises(MissingInput):
        room.remove(db, invitee=_people(meeting)["王调解"], actor=world.mediator)


def test_recording_needs_every_partys_consent(db: Session, world: World,
                                              meeting: MediationSession) -> None:
    people = _people(meeting)
    moment = meeting.starts_at

    def record() -> None:
        room.add_recording(db, invitee=people["王调解"], storage_name="rec/1.webm",
                           sha256="a" * 64, size=1024, started_at=moment, ended_at=None)

    room.record_consent(db, invitee=people["张三"], consent=True)
    room.record_consent(db, invitee=people["李四"], consent=True)
    assert not room.all_parties_consented(meeting)  # the agent has not answered
    with pytest.raises(NotAllowed):
        record()
    room.record_consent(db, invitee=people["赵律师"], consent=False)
    with pytest.raises(NotAllowed):
        record()
    room.record_consent(db, invitee=people["赵律师"], consent=True)
    assert room.all_parties_consented(meeting)
    record()
    db.commit()
    entry = db.execute(select(AuditEntry).where(
        AuditEntry.action == "session.recorded")).scalar_one()
    assert "a" * 64 in entry.data


def test_consent_is_asked_only_when_recording_is(db: Session, world: World,
                                                 make_session: Any) -> None:
    meeting = make_session(recording_requested=False)
    with pytest.raises(MissingInput):
        room.record_consent(db, invitee=meeting.invitees[1], consent=True)
    assert not room.all_parties_consented(meeting)


def test_chat_and_caucus(db: Session, world: World, meeting: MediationSession) -> None:
    people = _people(meeting)
    zhang, lisi, agent, mediator = (people[n] for n in ("张三", "李四", "赵律师", "王调解"))
    room.add_chat(db, invitee=zhang, text=" 大家好 ")
    room.add_chat(db, invitee=mediator, text="先和申请人单独谈", audience=Audience.APPLICANT)
    room.add_chat(db, invitee=zhang, text="我最多让两千", audience=Audience.APPLICANT)
    room.add_chat(db, invitee=agent, text="我方意见", audience=Audience.RESPONDENT)
    with pytest.raises(NotAllowed):  # a party never writes into the other side's caucus
        room.add_chat(db, invitee=lisi, text="偷听", audience=Audience.APPLICANT)
    for text in ("", "   ", "字" * 2001):
        with pytest.raises(MissingInput):
            room.add_chat(db, invitee=zhang, text=text)
    room.add_chat(db, invitee=zhang, text="字" * 2000)

    def texts(invitee: SessionInvitee) -> list[str]:
        return [m.text[:10] for m in room.visible_chat(db, invitee)]

    assert texts(lisi) == texts(agent) == ["大家好", "我方意见", "字" * 10]
    assert texts(zhang) == ["大家好", "先和申请人单独谈", "我最多让两千", "字" * 10]
    assert len(texts(mediator)) == 5

    room.add_caucus_note(db, meeting=meeting, actor=world.mediator, side=Side.APPLICANT,
                         text="申请人底线两千")
    with pytest.raises(NotAllowed):
        room.add_caucus_note(db, meeting=meeting, actor=world.respondent, side=Side.APPLICANT,
                             text="x")
    with pytest.raises(NotAllowed):
        room.caucus_notes(db, meeting=meeting, actor=world.applicant)
    assert [n.text for n in room.caucus_notes(db, meeting=meeting, actor=world.mediator)] == [
        "申请人底线两千"]

    data = minutes.session_data(db, meeting.id)
    # The minutes hold what everyone heard: no caucus chat, no caucus notes.
    assert [(c.name, c.text[:10]) for c in data.chat] == [("张三", "大家好"), ("张三", "字" * 10)]
    assert "两千" not in repr(data)


def test_a_cancelled_session_is_closed_to_the_room(db: Session, world: World,
                                                   meeting: MediationSession) -> None:
    services.cancel(db, meeting=meeting, actor=world.mediator, reason="x")
    zhang = _people(meeting)["张三"]
    with pytest.raises(room.JoinRefused) as refused:
        room.invitee_for_token(db, tokens.join_token(zhang), meeting_id=meeting.id)
    assert refused.value.status == 410
    with pytest.raises(NotAllowed):
        room.add_chat(db, invitee=zhang, text="hello")
    with pytest.raises(MissingInput):
        room.start(db, meeting=meeting, actor=world.mediator)
