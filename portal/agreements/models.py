"""Agreement versions and comments, session minutes, and documents collecting signatures."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.cases.models import Case, CaseParticipant
from portal.db.base import Base
from portal.db.types import UTCDateTime, created_at, intpk, str_enum
from portal.mediation.models import MediationSession


class AgreementVersion(Base):
    """One saved draft of a case's mediation agreement; never changed once written."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("case_id", "number",
                                       name="uq_agreement_versions_case_number"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    number: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The parties as they stood when this version was saved (documents.data.Party fields
    # plus the participant's id), so the version renders the same later.
    parties: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    facts: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"due": "YYYY-MM-DD", "amount": "123.45", "payer", "payee", "method"}]
    schedule: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    breach_clause: Mapped[str] = mapped_column(Text, default="")
    # What changed and why; required for a revision, shown on the case timeline.
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]

    case: Mapped[Case] = relationship()
    author: Mapped[User] = relationship()
    comments: Mapped[list[AgreementComment]] = relationship(
        back_populates="version", order_by="AgreementComment.id", cascade="all, delete-orphan")


class AgreementComment(Base):
    __tablename__ = "agreement_comments"

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]

    version: Mapped[AgreementVersion] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class SessionMinutes(Base):
    """The mediator's minutes of one session: free-text sections; the session's own data
    (participants, times, open chat) is read from the session when the PDF is made."""

    __tablename__ = "session_minutes"
    # The early-warning scan reads the minutes written since its last run.
    __table_args__ = (Index("ix_session_minutes_updated_at", "updated_at"),)

    id: Mapped[intpk]
    session_id: Mapped[int] = mapped_column(ForeignKey("mediation_sessions.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    statements: Mapped[str] = mapped_column(Text, default="")  # 当事人陈述
    process: Mapped[str] = mapped_column(Text, default="")  # 调解经过
    outcome: Mapped[str] = mapped_column(Text, default="")  # 调解情况 / 结果
    recorder: Mapped[str] = mapped_column(String(100), default="")  # 记录人
    include_chat: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Set by "finish": the text is frozen into a PDF that the participants sign.
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]

    meeting: Mapped[MediationSession] = relationship()


class DocumentKind(StrEnum):
    AGREEMENT = "agreement"
    MINUTES = "minutes"


class DocumentStatus(StrEnum):
    OPEN = "open"  # collecting signatures
    COMPLETE = "complete"  # every required signature is present
    VOID = "void"  # replaced (a revised agreement) or abandoned; its signatures count no more


class SignerRole(StrEnum):
    PARTY = "party"  # a party or agent of the case (a CaseParticipant)
    MEDIATOR = "mediator"
    BODY = "body"  # the body's seal, applied by one of its administrators


class SignableDocument(Base):
    """A PDF that its required signers sign in turn, each signature an incremental update.

    Every state of the file is kept in storage; ``current_*`` names the latest.
    """

    __tablename__ = "signable_documents"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    status: Mapped[DocumentStatus] = mapped_column(str_enum(DocumentStatus),
                                                   default=DocumentStatus.OPEN)
    title: Mapped[str] = mapped_column(String(200))
    agreement_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_versions.id"), index=True)
    minutes_id: Mapped[int | None] = mapped_column(ForeignKey("session_minutes.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(100))
    original_sha256: Mapped[str] = mapped_column(String(64))
    current_name: Mapped[str] = mapped_column(String(100))
    current_sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship()
    version: Mapped[AgreementVersion | None] = relationship()
    minutes: Mapped[SessionMinutes | None] = relationship()
    signers: Mapped[list[DocumentSigner]] = relationship(
        back_populates="document", order_by="DocumentSigner.position",
        cascade="all, delete-orphan")


class DocumentSigner(Base):
    """One required signature: who, in which signature field, in which turn; and, once
    signed, by whose hands and the file it produced."""

    __tablename__ = "document_signers"
    __table_args__ = (UniqueConstraint("document_id", "field_name",
                                       name="uq_document_signers_document_field"),)

    id: Mapped[intpk]
    document_id: Mapped[int] = mapped_column(ForeignKey("signable_documents.id"), index=True)
    position: Mapped[int]
    field_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[SignerRole] = mapped_column(str_enum(SignerRole))
    label: Mapped[str] = mapped_column(String(40))  # as printed: 申请人, 人民调解员 ...
    name: Mapped[str] = mapped_column(String(100))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("case_participants.id"))
    # The staff member who must sign (the mediator); None for parties and the body's seal.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    seal: Mapped[bool] = mapped_column(default=False)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Who was logged in: the signer, or the mediator whose device a party signed at.
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at_service_centre: Mapped[bool] = mapped_column(default=False)
    signed_name: Mapped[str | None] = mapped_column(String(100))
    signed_sha256: Mapped[str | None] = mapped_column(String(64))

    document: Mapped[SignableDocument] = relationship(back_populates="signers")
    participant: Mapped[CaseParticipant | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
