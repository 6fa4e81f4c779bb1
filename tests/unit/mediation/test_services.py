"""Scheduling: who may, what is refused and why, overlaps, cancelling, the reschedule chain."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.models import AuditEntry
from portal.cases.services import MissingInput, NotAllowed
from portal.cases.states import Status
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.models import DeadlineKind
from portal.mediation import room, services, tokens
from portal.mediation.models import (
    Attendance,
    InviteeRole,
    MediationSession,
    RequestStatus,
    SessionStatus,
    Side,
)
from portal.notifications.models import Notification, OutboundMessage
from tests.mediation_world import (
    AGENT_PHONE,
    RESPONDENT_EMAIL,
    RESPONDENT_PHONE,
    World,
    mediation_world,
    next_hour,
)


def _texts(db: Session, recipient: str) -> list[str]:
    db.expire_all()
    return list(db.execute(select(OutboundMessage.body).where(
        OutboundMessage.recipient == recipient).order_by(OutboundMessage.id)).scalars())


def _actions(db: Session) -> list[str]:
    return list(db.execute(select(AuditEntry.action).where(
        AuditEntry.kind == "mediation").order_by(AuditEntry.id)).scalars())


def test_schedule_invites_the_mediator_and_the_chosen_people(
        db: Session, world: World, make_session: Any) -> None:
    ids = [*world.party_ids, world.agent.id]
    meeting = make_session(participant_ids=ids, recording_requested=True)
    assert meeting.status is SessionStatus.SCHEDULED and meeting.recording_requested
    assert meeting.ends_at - meeting.starts_at == dt.timedelta(minutes=60)
    people = {(i.name, i.role, i.side, i.attends) for i in meeting.invitees}
    assert people == {
        ("王调解", InviteeRole.MEDIATOR, Side.NONE, Attendance.ONLINE),
        ("张三", InviteeRole.PARTY, Side.APPLICANT, Attendance.ONLINE),
        ("李四", InviteeRole.PARTY, Side.RESPONDENT, Attendance.ONLINE),
        # The agent acts for the respondent, so sits on that side (in caucus too).
        ("赵律师", InviteeRole.AGENT, Side.RESPONDENT, Attendance.ONLINE),
    }
    assert _actions(db) == ["session.scheduled"]

    # After the commit every invitee is told, each with a personal link.
    links = {i.id: tokens.join_url(meeting, i) for i in meeting.invitees}
    assert len(set(links.values())) == 4
    for phone, invitee in ((world.applicant.phone, meeting.invitees[1]),
                           (RESPONDENT_PHONE, meeting.invitees[2]),
                           (AGENT_PHONE, meeting.invitees[3]),
                           (world.mediator.phone, meeting.invitees[0])):
        texts = _texts(db, phone)
        assert len(texts) == 1 and world.case.number in texts[0]
        assert links[invitee.id] in texts[0]
    notices = db.execute(select(Notification.user_id, Notification.message)).all()
    assert {u for u, _ in notices} == {world.applicant.id, world.respondent.id,
                                      world.mediator.id}
    assert all("was scheduled" in m for _, m in notices)
    mail = db.execute(select(OutboundMessage).where(
        OutboundMessage.recipient == RESPONDENT_EMAIL)).scalar_one()
    files = json.loads(mail.attachments)
    assert [f["filename"] for f in files] == ["mediation-session.ics"]
    assert files[0]["content_type"].startswith("text/calendar")


def test_notices_go_out_once_however_often_the_task_runs(
        db: Session, world: World, make_session: Any) -> None:
    from portal.mediation import tasks

    meeting = make_session()
    before = len(_texts(db, RESPONDENT_PHONE))
    assert tasks.notify_session(meeting.id, "scheduled") == 0
    assert len(_texts(db, RESPONDENT_PHONE)) == before == 1


def test_the_token_is_stored_only_as_its_hash(db: Session, make_session: Any) -> None:
    meeting = make_session()
    for invitee in meeting.invitees:
        token = tokens.join_token(invitee)
        assert invitee.token_hash == tokens.token_hash(token) != token
        assert token not in invitee.token_hash and len(token) >= 40
        assert room.invitee_for_token(db, token, meeting_id=meeting.id) is invitee


REFUSALS: list[tuple[dict[str, Any], str]] = [
    ({"starts_at": None}, "starts_at"),
    ({"starts_at": utcnow() - dt.timedelta(minutes=1)}, "starts_at"),
    ({"duration": 10}, "duration"),
    ({"duration": 481}, "duration"),
    ({"duration": None}, "duration"),
    ({"mode": "telepathy"}, "mode"),
    ({"mode": "in_person", "location": "  "}, "location"),
    ({"mode": "in_person", "location": "x" * 301}, "location"),
    ({"starts_at": next_hour(days=40)}, "starts_at"),  # after the 30-day period
    ({"participant_ids": "applicant"}, "invitees"),
    ({"participant_ids": "respondent"}, "invitees"),
    ({"participant_ids": []}, "invitees"),
    ({"participant_ids": "unknown"}, "invitees"),
    ({"in_person_ids": "applicant"}, "in_person"),  # online session
]


@pytest.mark.parametrize(("overrides", "field"), REFUSALS)
def test_refusals_name_the_field(db: Session, world: World, make_session: Any,
                                 overrides: dict[str, Any], field: str) -> None:
    picks = {"applicant": [world.applicant_party.id],
             "respondent": [world.respondent_party.id],
             "unknown": [*world.party_ids, 999_999]}
    for key in ("participant_ids", "in_person_ids"):
        if isinstance(overrides.get(key), str):
            overrides = {**overrides, key: picks[overrides[key]]}
    with pytest.raises(MissingInput) as refused:
        make_session(**overrides)
    assert refused.value.field == field
    assert refused.value.message  # an English msgid the page translates
    db.rollback()
    assert db.execute(select(MediationSession)).first() is None


def test_the_agent_stands_for_the_respondents_side(db: Session, world: World,
                                                   make_session: Any) -> None:
    meeting = make_session(participant_ids=[world.applicant_party.id, world.agent.id])
    assert {i.side for i in meeting.invitees} == {Side.NONE, Side.APPLICANT, Side.RESPONDENT}


def test_only_the_cases_mediator_schedules(db: Session, world: World,
                                           make_session: Any) -> None:
    for actor in (world.other_mediator, world.boss, world.applicant):
        with pytest.raises(NotAllowed):
            make_session(actor=actor)


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.RESPONDENT_AGREED,
                                    Status.SIGNING, Status.MEDIATION_FAILED])
def test_only_while_the_case_is_in_mediation(db: Session, status: Status) -> None:
    world = mediation_world(db, status=status)
    with pytest.raises(MissingInput) as refused:
        services.schedule(db, case=world.case, actor=world.mediator, starts_at=next_hour(),
                          duration=60, mode="online", participant_ids=world.party_ids)
    assert refused.value.field == "status"


def test_without_a_mediation_period_any_future_time_will_do(db: Session) -> None:
    world = mediation_world(db, status=Status.MEDIATOR_ASSIGNED, period=False)
    meeting = services.schedule(db, case=world.case, actor=world.mediator,
                                starts_at=next_hour(days=45), duration=30, mode="online",
                                participant_ids=world.party_ids)
    assert meeting.duration_minutes == 30


def test_the_session_must_end_within_the_period(db: Session, world: World,
                                                make_session: Any) -> None:
    due = deadlines.current(db, world.case.id, DeadlineKind.MEDIATION_END)
    assert due is not None
    last = due.due_at.replace(second=0) - dt.timedelta(minutes=60)
    make_session(starts_at=last - dt.timedelta(minutes=1))
    with pytest.raises(MissingInput, match="mediation period"):
        make_session(starts_at=last + dt.timedelta(minutes=2))


def test_no_overlap_with_the_mediators_other_sessions(db: Session, world: World,
                                                      make_session: Any) -> None:
    start = next_hour()
    first = make_session(starts_at=start, duration=60)
    for offset, minutes in ((30, 60), (-30, 45), (-60, 180), (10, 15)):
        with pytest.raises(MissingInput) as refused:
            make_session(starts_at=start + dt.timedelta(minutes=offset), duration=minutes)
        assert refused.value.field == "starts_at" and "start" in refused.value.params
    # Back to back is fine, and so is the same time once the first is cancelled.
    make_session(starts_at=start + dt.timedelta(minutes=60), duration=30)
    make_session(starts_at=start - dt.timedelta(minutes=30), duration=30)
    services.cancel(db, meeting=first, actor=world.mediator, reason="病假")
    db.commit()
    make_session(starts_at=start + dt.timedelta(minutes=15), duration=30)


def test_another_mediator_may_have_a_session_at_the_same_time(
        db: Session, world: World, make_session: Any) -> None:
    start = next_hour()
    make_session(starts_at=start)
    other = mediation_world(db, key=1)
    services.schedule(db, case=other.case, actor=other.mediator, starts_at=start,
                      duration=60, mode="online", participant_ids=other.party_ids)


def test_at_a_service_centre(db: Session, world: World, make_session: Any) -> None:
    meeting = make_session(mode="in_person", location="枫桥镇调解中心二楼",
                           in_person_ids=[world.respondent_party.id])
    attends = {i.name: i.attends for i in meeting.invitees}
    assert attends == {"王调解": Attendance.IN_PERSON, "张三": Attendance.ONLINE,
                       "李四": Attendance.IN_PERSON}
    respondent_text = _texts(db, RESPONDENT_PHONE)[0]
    assert "枫桥镇调解中心二楼" in respondent_text and "/join?t=" not in respondent_text
    assert "/join?t=" in _texts(db, world.applicant.phone)[0]
    # Nobody named: everyone invited comes to the centre.
    other = make_session(starts_at=next_hour(days=3), mode="in_person", location="调解室")
    assert {i.attends for i in other.invitees} == {Attendance.IN_PERSON}


def test_cancel_needs_a_reason_and_tells_everyone(db: Session, world: World,
                                                  make_session: Any) -> None:
    meeting = make_session()
    with pytest.raises(MissingInput) as refused:
        services.cancel(db, meeting=meeting, actor=world.mediator, reason=" ")
    assert refused.value.field == "reason"
    with pytest.raises(NotAllowed):
        services.cancel(db, meeting=meeting, actor=world.applicant, reason="x")
    services.cancel(db, meeting=meeting, actor=world.mediator, reason="调解员生病")
    db.commit()
    assert meeting.status is SessionStatus.CANCELLED and meeting.cancelled_at is not None
    texts = _texts(db, RESPONDENT_PHONE)
    assert len(texts) == 2 and "调解员生病" in texts[1] and "已取消" in texts[1]
    with pytest.raises(MissingInput):
        services.cancel(db, meeting=meeting, actor=world.mediator, reason="again")
    assert _actions(db) == ["session.scheduled", "session.cancelled"]


def test_a_party_asks_to_reschedule_and_the_mediator_declines(
        db: Session, world: World, make_session: Any) -> None:
    meeting = make_session()
    for reason, proposed, field in (("", "周五下午", "reason"), ("出差", "", "proposed")):
        with pytest.raises(MissingInput) as refused:
            services.request_reschedule(db, meeting=meeting, actor=world.respondent,
                                        reason=reason, proposed=proposed)
        assert refused.value.field == field
    with pytest.raises(NotAllowed):  # staff and strangers do not ask
        services.request_reschedule(db, meeting=meeting, actor=world.boss, reason="x",
                                    proposed="y")
    request = services.request_reschedule(db, meeting=meeting, actor=world.respondent,
                                          reason="出差", proposed="下周一或周二上午")
    db.commit()
    with pytest.raises(MissingInput, match="already asked"):
        services.request_reschedule(db, meeting=meeting, actor=world.respondent,
                                    reason="再问", proposed="任何时间")
    told = db.execute(select(Notification.message).where(
        Notification.user_id == world.mediator.id)).scalars().all()
    assert any("asks to move" in m for m in told)

    with pytest.raises(NotAllowed):
        services.decline_request(db, request=request, actor=world.respondent, answer="x")
    with pytest.raises(MissingInput) as refused:
        services.decline_request(db, request=request, actor=world.mediator, answer="")
    assert refused.value.field == "answer"
    services.decline_request(db, request=request, actor=world.mediator,
                             answer="双方已确认该时间")
    db.commit()
    assert request.status is RequestStatus.DECLINED and request.answered_at is not None
    assert "双方已确认该时间" in _texts(db, world.respondent.phone)[-1]
    with pytest.raises(MissingInput, match="already been answered"):
        services.decline_request(db, request=request, actor=world.mediator, answer="x")


def test_reschedule_chain(db: Session, world: World, make_session: Any) -> None:
    first = make_session()
    old_tokens = {i.id: tokens.join_token(i) for i in first.invitees}
    request = services.request_reschedule(db, meeting=first, actor=world.applicant,
                                          reason="出差", proposed="后天")
    db.commit()
    second = services.reschedule(db, meeting=first, actor=world.mediator,
                                 starts_at=next_hour(days=3), duration=90, mode="online",
                                 participant_ids=world.party_ids)
    db.commit()
    assert (first.status, second.status) == (SessionStatus.CANCELLED, SessionStatus.SCHEDULED)
    assert second.replaces_id == first.id and second.duration_minutes == 90
    assert request.status is RequestStatus.ACCEPTED and request.answered_by_id == world.mediator.id
    # The old links stop working; the new invitation carries new ones.
    for token in old_tokens.values():
        with pytest.raises(room.JoinRefused) as refused:
            room.invitee_for_token(db, token, meeting_id=first.id)
        assert refused.value.status == 410
    texts = _texts(db, RESPONDENT_PHONE)
    assert len(texts) == 2 and "改期至" in texts[1]
    assert tokens.join_url(second, second.invitees[2]) in texts[1]
    # Rescheduling overlapping the old time is fine: the old session gives way.
    third = services.reschedule(db, meeting=second, actor=world.mediator,
                                starts_at=second.starts_at + dt.timedelta(minutes=30),
                                duration=60, mode="online", participant_ids=world.party_ids)
    db.commit()
    assert third.replaces_id == second.id
    with pytest.raises(MissingInput):  # a cancelled session is not moved again
        services.reschedule(db, meeting=first, actor=world.mediator,
                            starts_at=next_hour(days=5), duration=60, mode="online",
                            participant_ids=world.party_ids)
    assert _actions(db).count("session.rescheduled") == 2


def test_a_refused_reschedule_leaves_the_session_as_it_was(
        db: Session, world: World, make_session: Any) -> None:
    meeting = make_session()
    with pytest.raises(MissingInput):
        services.reschedule(db, meeting=meeting, actor=world.mediator, starts_at=None,
                            duration=60, mode="online", participant_ids=world.party_ids)
    db.rollback()
    assert db.get(MediationSession, meeting.id).status is SessionStatus.SCHEDULED  # type: ignore[union-attr]
