"""Documents that several people sign in turn: codes, turns, the PAdES signature, the record.

Any paper that needs signatures (the agreement, a session's minutes) is a SignableDocument
with its DocumentSigners in signing order. A signer proves control of their phone with a
one-time code, draws a signature, and the server signs with that signer's certificate from
the platform CA. The new PDF goes to storage first, then the rows, in one transaction; the
file is deleted again if that transaction does not commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents import signing as pdf_signing
from documents.ca import PlatformCA
from documents.stamp import render_seal, render_stamp
from portal.accounts import codes
from portal.accounts.models import User
from portal.agreements import kinds
from portal.agreements.files import discard_unless_committed
from portal.agreements.models import (
    DocumentKind,
    DocumentSigner,
    DocumentStatus,
    SignableDocument,
    SignerRole,
)
from portal.agreements.pki import timestamper
from portal.audit import services as audit
from portal.cases import access
from portal.cases.models import Case
from portal.cases.services import NotAllowed
from portal.cases.states import Actor
from portal.db.types import utcnow
from portal.deadlines.calendar import TIME_ZONE
from portal.i18n import N_
from portal.storage import Storage, new_name

PREFIX = "signing"
AUDIT_KIND = "document"


class Refused(Exception):
    """Signing cannot go ahead; ``message`` is a msgid, ``status`` the HTTP answer."""

    def __init__(self, status: int, message: str, **params: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Required:
    """A signature a new document needs, in order."""

    field_name: str
    role: SignerRole
    label: str
    name: str
    participant_id: int | None = None
    user_id: int | None = None
    seal: bool = False


def audit_subject(sha256: str) -> str:
    """Stored PDFs are audited under their hash, so a verifier can find them."""
    return f"pdf:{sha256}"


def _record_pdf(session: Session, *, document: SignableDocument, sha256: str, action: str,
                actor_id: int | None, **data: Any) -> None:
    audit.append(session, kind=AUDIT_KIND, action=action, subject=audit_subject(sha256),
                 actor_id=actor_id,
                 data={"case": document.case.number, "document": document.id,
                       "kind": document.kind.value, "sha256": sha256, **data})


def create_document(session: Session, *, case: Case, kind: DocumentKind, title: str,
                    pdf: bytes, required: Sequence[Required], actor: User, storage: Storage,
                    agreement_version_id: int | None = None,
                    minutes_id: int | None = None) -> SignableDocument:
    """Store ``pdf`` (with its empty signature fields) and the signers it waits for."""
    saved = storage.save_sync(new_name(PREFIX, "pdf"), [pdf])
    discard_unless_committed(session, storage, saved.name)
    document = SignableDocument(
        case_id=case.id, case=case, kind=kind, title=title, original_name=saved.name,
        original_sha256=saved.sha256, current_name=saved.name, current_sha256=saved.sha256,
        created_by_id=actor.id, agreement_version_id=agreement_version_id,
        minutes_id=minutes_id,
        signers=[DocumentSigner(position=i, field_name=r.field_name, role=r.role,
                                label=r.label, name=r.name, participant_id=r.participant_id,
                                user_id=r.user_id, seal=r.seal)
                 for i, r in enumerate(required, 1)])
    session.add(document)
    session.flush()
    _record_pdf(session, document=document, sha256=saved.sha256, action="document.rendered",
                actor_id=actor.id, signers=[r.field_name for r in required])
    return document


def void(session: Session, *, document: SignableDocument, reason: str,
         actor_id: int | None) -> None:
    """The document will not be signed further; signatures it has count for nothing."""
    if document.status is not DocumentStatus.OPEN:
        return
    document.status, document.voided_at, document.void_reason = (
        DocumentStatus.VOID, utcnow(), reason)
    audit.append(session, kind=AUDIT_KIND, action="document.voided",
                 subject=f"case:{document.case.number}", actor_id=actor_id,
                 data={"document": document.id, "reason": reason,
                       "signed": [s.field_name for s in document.signers if s.signed_at]})


def next_signer(document: SignableDocument) -> DocumentSigner | None:
    return next((s for s in document.signers if s.signed_at is None), None)


def signer_phone(signer: DocumentSigner, user: User | None = None) -> str:
    """Where the signer's code goes: the phone named in the case for a party, the staff
    member's own account phone otherwise."""
    if signer.role is SignerRole.PARTY:
        participant = signer.participant
        assert participant is not None
        if participant.phone:
            return participant.phone
        linked = participant.user_id and user is not None and user.id == participant.user_id
        return user.phone if linked and user is not None else ""
    if signer.role is SignerRole.MEDIATOR:
        return signer.user.phone if signer.user is not None else ""
    return user.phone if user is not None else ""


def how_may_sign(session: Session, signer: DocumentSigner, user: User) -> str | None:
    """"self" when ``user`` is this signer; "assist" when the case's mediator runs a party's
    signing at their device (a service centre); None otherwise."""
    case = signer.document.case
    capacities = access.capacities(session, case, user)
    if signer.role is SignerRole.PARTY:
        participant = signer.participant
        if participant is not None and participant.user_id == user.id and (
                capacities & {Actor.APPLICANT, Actor.RESPONDENT}):
            return "self"
        if Actor.MEDIATOR in capacities:
            return "assist"
        return None
    if signer.role is SignerRole.MEDIATOR:
        ok = signer.user_id == user.id and Actor.MEDIATOR in capacities
        return "self" if ok else None
    return "self" if Actor.BODY in capacities else None


def code_purpose(signer: DocumentSigner) -> str:
    return f"sign:{signer.id}"


def _mask(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def _load(session: Session, document_id: int, signer_id: int,
          lock: bool) -> tuple[SignableDocument, DocumentSigner]:
    query = select(SignableDocument).where(SignableDocument.id == document_id)
    document = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    signer = next((s for s in document.signers if s.id == signer_id), None) if document else None
    if document is None or signer is None:
        raise Refused(404, N_("There is no such signature on this document."))
    return document, signer


def _check_turn(session: Session, document: SignableDocument, signer: DocumentSigner,
                user: User) -> str:
    if document.status is DocumentStatus.VOID:
        raise Refused(409, N_("This document was replaced and can no longer be signed. "
                              "Open the current version."))
    if document.status is DocumentStatus.COMPLETE or signer.signed_at is not None:
        raise Refused(409, N_("This signature has already been given."))
    how = how_may_sign(session, signer, user)
    if how is None:
        raise NotAllowed(f"sign {signer.field_name} of document {document.id}")
    try:
        kinds.check(session, document)
    except kinds.NotSignable as exc:
        raise Refused(409, exc.message) from None
    first = next_signer(document)
    if first is not None and first.id != signer.id:
        raise Refused(409, N_("It is not {who}'s turn yet: {first} ({label}) signs first."),
                      who=signer.name, first=first.name, label=first.label)
    return how


def send_code(session: Session, *, document_id: int, signer_id: int, actor: User,
              client: str) -> str:
    """Text the signer a one-time code for this signature; returns the number, masked."""
    document, signer = _load(session, document_id, signer_id, lock=False)
    _check_turn(session, document, signer, actor)
    phone = signer_phone(signer, actor)
    if not phone:
        raise Refused(409, N_("{who} has no mobile phone number on the case, so no code can "
                              "be sent. Add the number first."), who=signer.name)
    try:
        codes.send_code(session, phone=phone, purpose=code_purpose(signer), client=client)
    except codes.TooManyRequests as exc:
        raise Refused(429, exc.message) from None
    return _mask(phone)


@dataclass(frozen=True)
class Signature:
    """What the signer gave: the code from the SMS, the drawing, and the hash of the file
    they were shown (so a file that changed in between is not signed blindly)."""

    code: str
    png: bytes | None
    seen_sha256: str


def sign(session: Session, *, document_id: int, signer_id: int, actor: User,
         given: Signature, storage: Storage, ca: PlatformCA,
         now: dt.datetime | None = None) -> DocumentSigner:
    """Apply one signature; refuses (Refused, NotAllowed, InvalidField) having written nothing."""
    document, signer = _load(session, document_id, signer_id, lock=True)
    how = _check_turn(session, document, signer, actor)
    if given.seen_sha256.strip().lower() != document.current_sha256:
        raise Refused(409, N_("The document changed since you opened it (someone signed it or "
                              "it was revised). Reload the page and check it again."))
    if signer.seal is False and given.png is None:
        raise Refused(400, N_("Please draw your signature in the box."))
    # A wrong code is committed as a failed attempt before this raises, so nothing else
    # may have been changed yet.
    codes.check_code(session, phone=signer_phone(signer, actor), purpose=code_purpose(signer),
                     code=given.code)
    now = now or utcnow()
    signed = _signed_pdf(document, signer, storage, ca, given, now)
    saved = storage.save_sync(new_name(PREFIX, "pdf"), [signed])
    discard_unless_committed(session, storage, saved.name)
    signer.signed_at, signer.signed_by_id = now, actor.id
    signer.at_service_centre = how == "assist"
    signer.signed_name, signer.signed_sha256 = saved.name, saved.sha256
    document.current_name, document.current_sha256 = saved.name, saved.sha256
    _record_pdf(session, document=document, sha256=saved.sha256, action="document.signed",
                actor_id=actor.id, field=signer.field_name, signer=signer.name,
                at_service_centre=signer.at_service_centre)
    if next_signer(document) is None:
        document.status, document.completed_at = DocumentStatus.COMPLETE, now
        session.flush()
        kinds.completed(session, document)
    session.flush()
    return signer


def _stamp(document: SignableDocument, signer: DocumentSigner, png: bytes | None,
           at: dt.datetime) -> bytes:
    local = at.astimezone(TIME_ZONE)
    if signer.seal:
        return render_seal(signer.name, local)
    try:
        return render_stamp(signer.name, local, png, signer.label)
    except ValueError:
        raise Refused(400, N_("The signature image could not be read. Clear the box and "
                              "sign again.")) from None


def _signed_pdf(document: SignableDocument, signer: DocumentSigner, storage: Storage,
                ca: PlatformCA, given: Signature, now: dt.datetime) -> bytes:
    reader = storage.open(document.current_name)
    try:
        pdf = reader.read()
    finally:
        reader.close()
    credentials = ca.signer(_certificate_id(document, signer), signer.name)
    try:
        return pdf_signing.sign_pdf(
            pdf, credentials, _stamp(document, signer, given.png, now), signer.field_name,
            timestamper=timestamper(ca), expected_sha256=document.current_sha256,
            order=[s.field_name for s in document.signers],
            reason=f"{signer.label} {document.title}", location=document.case.number)
    except pdf_signing.StaleDocument:
        raise Refused(409, N_("The stored document does not match its record; it was not "
                              "signed. Please tell the mediation body.")) from None
    except pdf_signing.SigningRefused as exc:
        raise Refused(409, N_("The document could not be signed: {reason}"),
                      reason=str(exc)) from None


def _certificate_id(document: SignableDocument, signer: DocumentSigner) -> str:
    """Whose key signs: a party's own per case, staff's per account, the body's seal."""
    if signer.role is SignerRole.PARTY:
        return f"participant-{signer.participant_id}"
    if signer.role is SignerRole.MEDIATOR:
        return f"user-{signer.user_id}"
    return f"body-{document.case.body_id}"


def documents_of(session: Session, case: Case,
                 kind: DocumentKind | None = None) -> list[SignableDocument]:
    query = select(SignableDocument).where(SignableDocument.case_id == case.id)
    if kind is not None:
        query = query.where(SignableDocument.kind == kind)
    return list(session.execute(query.order_by(SignableDocument.id)).scalars())
