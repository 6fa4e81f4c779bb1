from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.ca import PlatformCA
from documents.signing import signature_state
from documents.verify import verify_pdf
from portal.accounts.models import User
from portal.accounts.validation import InvalidField
from portal.agreements import services, signing
from portal.agreements.models import DocumentSigner, DocumentStatus, SignableDocument
from portal.audit.models import AuditEntry
from portal.cases import services as cases
from portal.cases.states import Status
from portal.storage import Storage
from tests.unit.agreements.support import (
    SigningWorld,
    last_code,
    sample_draft,
    signature_png,
    signing_world,
)

CLIENT = "127.0.0.1"


@pytest.fixture
def w(db: Session) -> SigningWorld:
    return signing_world(db)


@pytest.fixture
def document(db: Session, w: SigningWorld, storage: Storage) -> SignableDocument:
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    found = services.open_signing(db, case=w.case, actor=w.mediator, storage=storage)
    db.commit()
    return found


def _signer(document: SignableDocument, field: str) -> DocumentSigner:
    return next(s for s in document.signers if s.field_name == field)


def _sign(db: Session, document: SignableDocument, field: str, actor: User, storage: Storage,
          ca: PlatformCA, *, code: str | None = None, png: bytes | None = None,
          seen: str | None = None) -> DocumentSigner:
    signer = _signer(document, field)
    if code is None:
        signing.send_code(db, document_id=document.id, signer_id=signer.id, actor=actor,
                          client=CLIENT)
        code = last_code(db, signing.signer_phone(signer, actor))
    given = signing.Signature(code, None if signer.seal else (png or signature_png()),
                              seen or document.current_sha256)
    row = signing.sign(db, document_id=document.id, signer_id=signer.id, actor=actor,
                       given=given, storage=storage, ca=ca)
    db.commit()
    return row


def _read(storage: Storage, name: str) -> bytes:
    reader = storage.open(name)
    try:
        return reader.read()
    finally:
        reader.close()


def test_everyone_signs_in_turn_and_the_agreement_takes_effect(
        db: Session, w: SigningWorld, document: SignableDocument, storage: Storage,
        ca: PlatformCA) -> None:
    _sign(db, document, "party-1", w.world.applicant, storage, ca)
    _sign(db, document, "party-2", w.world.respondent, storage, ca)
    third = _sign(db, document, "party-3", w.mediator, storage, ca)  # at the centre
    _sign(db, document, "mediator", w.mediator, storage, ca)
    assert w.case.status is Status.SIGNING
    _sign(db, document, "body-seal", w.boss, storage, ca)
    assert third.at_service_centre and third.signed_by_id == w.mediator.id
    assert document.status is DocumentStatus.COMPLETE
    assert w.case.status is Status.AGREEMENT_IN_EFFECT
    pdf = _read(storage, document.current_name)
    assert services.signed_agreement_pdf(db, w.case.id) == pdf  # for the dossier
    assert services.agreement_terms(db, w.case.id) == list(sample_draft().terms)
    assert signature_state(pdf, [s.field_name for s in document.signers]).complete
    report = verify_pdf(pdf, ca.trust_roots())
    assert report.ok and [s.signer for s in report.signatures] == [
        "张三", "李四", "钱五", "王调解", w.case.body.name]  # type: ignore[union-attr]
    # Every stored state of the file is in the audit chain under its hash.
    subjects = set(db.execute(select(AuditEntry.subject)).scalars())
    assert all(signing.audit_subject(s.signed_sha256 or "") in subjects
               for s in document.signers)


def test_out_of_turn_is_refused_before_any_code(db: Session, w: SigningWorld,
                                                document: SignableDocument) -> None:
    signer = _signer(document, "party-2")
    with pytest.raises(signing.Refused, match="turn"):
        signing.send_code(db, document_id=document.id, signer_id=signer.id,
                          actor=w.world.respondent, client=CLIENT)


def test_out_of_turn_signature_writes_nothing(db: Session, w: SigningWorld,
                                              document: SignableDocument, storage: Storage,
                                              ca: PlatformCA) -> None:
    with pytest.raises(signing.Refused) as caught:
        _sign(db, document, "mediator", w.mediator, storage, ca, code="000000")
    assert caught.value.status == 409
    db.rollback()
    assert _signer(document, "mediator").signed_at is None


def test_someone_else_cannot_sign_a_partys_slot(db: Session, w: SigningWorld,
                                                document: SignableDocument) -> None:
    signer = _signer(document, "party-1")
    for user in (w.world.respondent, w.boss, w.world.other_mediator):
        with pytest.raises(cases.NotAllowed):
            signing.send_code(db, document_id=document.id, signer_id=signer.id, actor=user,
                              client=CLIENT)


def test_the_mediator_may_run_a_partys_signing(db: Session, w: SigningWorld,
                                               document: SignableDocument) -> None:
    signer = _signer(document, "party-1")
    assert signing.how_may_sign(db, signer, w.mediator) == "assist"
    assert signing.how_may_sign(db, signer, w.world.applicant) == "self"
    masked = signing.send_code(db, document_id=document.id, signer_id=signer.id,
                               actor=w.mediator, client=CLIENT)
    # The code goes to the party's phone, not the mediator's.
    assert masked == f"{w.world.applicant.phone[:3]}****{w.world.applicant.phone[-4:]}"


def test_wrong_code_is_refused_and_counted(db: Session, w: SigningWorld,
                                           document: SignableDocument, storage: Storage,
                                           ca: PlatformCA) -> None:
    signer = _signer(document, "party-1")
    signing.send_code(db, document_id=document.id, signer_id=signer.id,
                      actor=w.world.applicant, client=CLIENT)
    db.commit()
    good = last_code(db, signing.signer_phone(signer))
    wrong = "000000" if good != "000000" else "111111"
    with pytest.raises(InvalidField, match="not correct"):
        _sign(db, document, "party-1", w.world.applicant, storage, ca, code=wrong)
    db.rollback()
    assert signer.signed_at is None
    _sign(db, document, "party-1", w.world.applicant, storage, ca, code=good)
    assert signer.signed_at is not None


def test_expired_code_is_refused(db: Session, w: SigningWorld, document: SignableDocument,
                                 storage: Storage, ca: PlatformCA) -> None:
    signer = _signer(document, "party-1")
    signing.send_code(db, document_id=document.id, signer_id=signer.id,
                      actor=w.world.applicant, client=CLIENT)
    db.commit()
    code = last_code(db, signing.signer_phone(signer))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    with time_machine.travel(later, tick=False), pytest.raises(InvalidField, match="expired"):
        _sign(db, document, "party-1", w.world.applicant, storage, ca, code=code)


def test_a_stale_hash_is_refused(db: Session, w: SigningWorld, document: SignableDocument,
                                 storage: Storage, ca: PlatformCA) -> None:
    seen = document.current_sha256
    _sign(db, document, "party-1", w.world.applicant, storage, ca)
    with pytest.raises(signing.Refused, match="changed since you opened it"):
        _sign(db, document, "party-2", w.world.respondent, storage, ca, seen=seen)


def test_a_revised_agreement_cannot_be_signed(db: Session, w: SigningWorld,
                                              document: SignableDocument, storage: Storage,
                                              ca: PlatformCA) -> None:
    _sign(db, document, "party-1", w.world.applicant, storage, ca)
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft("1"),
                          note="金额")
    db.commit()
    with pytest.raises(signing.Refused, match="replaced"):
        _sign(db, document, "party-2", w.world.respondent, storage, ca, code="123456")


def test_signing_needs_the_case_at_the_signing_stage(db: Session, w: SigningWorld,
                                                     document: SignableDocument,
                                                     storage: Storage, ca: PlatformCA) -> None:
    w.case.status = Status.MEDIATION_FAILED
    db.commit()
    with pytest.raises(signing.Refused, match="not open for signing"):
        _sign(db, document, "party-1", w.world.applicant, storage, ca, code="123456")


def test_a_signature_needs_a_drawing_except_the_seal(db: Session, w: SigningWorld,
                                                     document: SignableDocument,
                                                     storage: Storage, ca: PlatformCA) -> None:
    signer = _signer(document, "party-1")
    given = signing.Signature("123456", None, document.current_sha256)
    with pytest.raises(signing.Refused, match="draw"):
        signing.sign(db, document_id=document.id, signer_id=signer.id,
                     actor=w.world.applicant, given=given, storage=storage, ca=ca)


def test_the_file_goes_when_the_transaction_fails(db: Session, w: SigningWorld,
                                                  document: SignableDocument,
                                                  storage: Storage, ca: PlatformCA) -> None:
    written: list[str] = []
    real = storage.save_sync

    def spy(name: str, *args: object, **kwargs: object) -> object:
        written.append(name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    with mock.patch.object(type(storage), "save_sync", autospec=True,
                           side_effect=lambda self, name, *a, **k: spy(name, *a, **k)), \
            mock.patch.object(signing, "_record_pdf", side_effect=RuntimeError("db down")), \
            pytest.raises(RuntimeError):
        _sign(db, document, "party-1", w.world.applicant, storage, ca)
    db.rollback()
    assert written and not storage.exists(written[0])
    assert storage.exists(document.current_name)  # the unsigned original stays
