from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from documents.ca import PlatformCA
from documents.verify import verify_pdf
from portal.agreements import minutes, services, signing
from portal.agreements.models import DocumentKind, DocumentStatus, SignerRole
from portal.cases import services as cases
from portal.db.types import utcnow
from portal.mediation.models import (
    Audience,
    ChatMessage,
    InviteeRole,
    MediationSession,
    SessionInvitee,
    SessionStatus,
    Side,
)
from portal.storage import Storage
from tests.mediation_world import World, add_session, mediation_world
from tests.unit.agreements.support import last_code, signature_png

SECTIONS = minutes.Sections(statements="张三称公司拖欠工资三个月。", process="调解员释明法律规定。",
                            outcome="双方同意分两期付款。", recorder="王调解")


def _text(pdf: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")


def _read(storage: Storage, name: str) -> bytes:
    reader = storage.open(name)
    try:
        return reader.read()
    finally:
        reader.close()


@pytest.fixture
def w(db: Session) -> World:
    return mediation_world(db)


@pytest.fixture
def meeting(db: Session, w: World) -> MediationSession:
    """A session that took place: the applicant and the respondent's agent came, the
    respondent was invited but did not join; one open and one caucus chat message."""
    found = add_session(db, w.case, w.mediator, w.applicant)
    found.invitees += [
        SessionInvitee(participant_id=w.respondent_party.id, name="李四", role=InviteeRole.PARTY,
                       side=Side.RESPONDENT, token_hash="r" * 64, token_salt=""),
        SessionInvitee(participant_id=w.agent.id, name="赵律师", role=InviteeRole.AGENT,
                       side=Side.RESPONDENT, token_hash="a" * 64, token_salt="")]
    now = utcnow()
    found.status, found.started_at, found.ended_at = (SessionStatus.ENDED,
                                                      now - dt.timedelta(hours=1), now)
    for invitee in found.invitees:
        if invitee.name != "李四":
            invitee.joined_at = now - dt.timedelta(minutes=50)
    db.flush()
    applicant = next(i for i in found.invitees if i.name == "张三")
    db.add_all([ChatMessage(session_id=found.id, invitee_id=applicant.id, text="公开发言内容"),
                ChatMessage(session_id=found.id, invitee_id=applicant.id, text="私下底线五千",
                            audience=Audience.APPLICANT)])
    db.commit()
    return found


def test_only_the_sessions_mediator_keeps_minutes(db: Session, w: World,
                                                  meeting: MediationSession) -> None:
    with pytest.raises(cases.NotAllowed):
        minutes.save(db, meeting=meeting, actor=w.other_mediator, sections=SECTIONS,
                     now=utcnow())
    row = minutes.save(db, meeting=meeting, actor=w.mediator, sections=SECTIONS, now=utcnow())
    again = minutes.save(db, meeting=meeting, actor=w.mediator,
                         sections=minutes.Sections(statements="改"), now=utcnow())
    assert again.id == row.id and again.statements == "改"


def test_finish_renders_the_session_and_asks_who_came(db: Session, w: World,
                                                      meeting: MediationSession,
                                                      storage: Storage) -> None:
    minutes.save(db, meeting=meeting, actor=w.mediator, sections=SECTIONS, now=utcnow())
    document = minutes.finish(db, meeting=meeting, actor=w.mediator, storage=storage,
                              now=utcnow())
    db.commit()
    assert document.kind is DocumentKind.MINUTES
    assert [(s.name, s.role, s.label) for s in document.signers] == [
        ("张三", SignerRole.PARTY, "申请人"), ("赵律师", SignerRole.PARTY, "被申请人代理人"),
        ("王调解", SignerRole.MEDIATOR, "调解员")]
    text = _text(_read(storage, document.current_name))
    assert "调解笔录" in text and "张三称公司拖欠工资三个月" in text
    assert "双方同意分两期付款" in text
    assert "公开发言内容" in text and "私下底线五千" not in text  # never the caucus
    with pytest.raises(cases.MissingInput, match="finished"):
        minutes.save(db, meeting=meeting, actor=w.mediator, sections=SECTIONS, now=utcnow())


def test_finish_refuses_empty_or_future_minutes(db: Session, w: World,
                                                meeting: MediationSession,
                                                storage: Storage) -> None:
    with pytest.raises(cases.MissingInput, match="Write the minutes"):
        minutes.finish(db, meeting=meeting, actor=w.mediator, storage=storage, now=utcnow())
    minutes.save(db, meeting=meeting, actor=w.mediator, sections=SECTIONS, now=utcnow())
    meeting.status = SessionStatus.SCHEDULED
    with pytest.raises(cases.MissingInput, match="taken place"):
        minutes.finish(db, meeting=meeting, actor=w.mediator, storage=storage,
                       now=meeting.starts_at - dt.timedelta(hours=1))


def test_everyone_signs_the_minutes_and_the_case_does_not_move(
        db: Session, w: World, meeting: MediationSession, storage: Storage,
        ca: PlatformCA) -> None:
    status = w.case.status
    minutes.save(db, meeting=meeting, actor=w.mediator, sections=SECTIONS, now=utcnow())
    document = minutes.finish(db, meeting=meeting, actor=w.mediator, storage=storage,
                              now=utcnow())
    db.commit()
    for signer, actor in zip(document.signers, (w.applicant, w.mediator, w.mediator),
                             strict=True):
        signing.send_code(db, document_id=document.id, signer_id=signer.id, actor=actor,
                          client="test")
        db.commit()
        given = signing.Signature(last_code(db, signing.signer_phone(signer, actor)),
                                  signature_png(), document.current_sha256)
        signing.sign(db, document_id=document.id, signer_id=signer.id, actor=actor,
                     given=given, storage=storage, ca=ca)
        db.commit()
    assert document.status is DocumentStatus.COMPLETE and w.case.status is status
    assert document.signers[1].at_service_centre  # the agent has no account
    signed = _read(storage, document.current_name)
    report = verify_pdf(signed, ca.trust_roots())
    assert report.ok and len(report.signatures) == 3
    assert services.signed_minutes_pdf(db, meeting.id) == signed  # for the dossier


def test_reopen_voids_the_signatures(db: Session, w: World, meeting: MediationSession,
                                     storage: Storage) -> None:
    minutes.save(db, meeting=meeting, actor=w.mediator, sections=SECTIONS, now=utcnow())
    document = minutes.finish(db, meeting=meeting, actor=w.mediator, storage=storage,
                              now=utcnow())
    row = minutes.reopen(db, meeting=meeting, actor=w.mediator)
    assert row.finished_at is None and document.status is DocumentStatus.VOID
    assert minutes.document_of(db, row) is None
    minutes.save(db, meeting=meeting, actor=w.mediator, sections=SECTIONS, now=utcnow())
