"""The data the minutes are made from: people, times, and what everyone heard."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.mediation import minutes, room
from portal.mediation.models import Audience, MediationSession, SessionInvitee, Side
from portal.notifications.models import OutboundMessage
from tests.mediation_world import World


@pytest.fixture
def meeting(make_session: Any, world: World) -> MediationSession:
    return make_session(participant_ids=[*world.party_ids, world.agent.id],
                        recording_requested=True)


def _people(meeting: MediationSession) -> dict[str, SessionInvitee]:
    return {i.name: i for i in meeting.invitees}


def _verified(db: Session, invitee: SessionInvitee) -> None:
    phone = room.contact(db, invitee).phone
    room.send_identity_code(db, invitee=invitee, client="test")
    db.expire_all()
    body = db.execute(select(OutboundMessage.body).where(OutboundMessage.recipient == phone)
                      .order_by(OutboundMessage.id.desc()).limit(1)).scalar_one()
    code = re.search(r"\d{6}", body)
    assert code is not None
    room.verify_identity(db, invitee=invitee, code=code.group(0))


def test_session_data_for_the_minutes(db: Session, world: World,
                                      meeting: MediationSession) -> None:
    people = _people(meeting)
    _verified(db, people["李四"])
    room.admit(db, invitee=people["李四"], actor=world.mediator)
    room.start(db, meeting=meeting, actor=world.mediator)
    room.mark_joined(db, invitee=people["李四"])
    db.commit()
    data = minutes.session_data(db, meeting.id)
    assert (data.case_number, data.mediator, data.mode, data.status) == (
        world.case.number, "王调解", "online", "live")
    assert data.planned_start == meeting.starts_at and data.planned_end == meeting.ends_at
    assert data.started_at is not None and data.ended_at is None
    rows = {p.name: p for p in data.participants}
    assert set(rows) == {"王调解", "张三", "李四", "赵律师"}
    assert rows["李四"].joined_at is not None and rows["李四"].identity_verified_at is not None
    assert rows["赵律师"].side == "respondent" and rows["赵律师"].role == "agent"
    assert rows["张三"].joined_at is None
    assert data.recording_requested and not data.recorded_with_consent
    with pytest.raises(LookupError):
        minutes.session_data(db, 999_999)


def test_caucus_chat_and_notes_stay_out(db: Session, world: World,
                                        meeting: MediationSession) -> None:
    people = _people(meeting)
    room.add_chat(db, invitee=people["张三"], text="大家好")
    room.add_chat(db, invitee=people["王调解"], text="单独谈：底线多少",
                  audience=Audience.APPLICANT)
    room.add_chat(db, invitee=people["张三"], text="最多让两千", audience=Audience.APPLICANT)
    room.add_caucus_note(db, meeting=meeting, actor=world.mediator, side=Side.APPLICANT,
                         text="申请人底线两千")
    room.add_chat(db, invitee=people["李四"], text="同意")
    db.commit()
    data = minutes.session_data(db, meeting.id)
    assert [(c.name, c.role, c.text) for c in data.chat] == [
        ("张三", "party", "大家好"), ("李四", "party", "同意")]
    assert "两千" not in repr(data) and "底线" not in repr(data)
