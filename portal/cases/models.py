from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.bodies.models import Area, MediationBody
from portal.cases.states import Status, Trigger
from portal.db.base import Base
from portal.db.types import UTCDateTime, created_at, intpk, str_enum, utcnow


class ParticipantRole(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"
    AGENT = "agent"


PARTICIPANT_LABELS: dict[ParticipantRole, str] = {
    ParticipantRole.APPLICANT: "Applicant",
    ParticipantRole.RESPONDENT: "Respondent",
    ParticipantRole.AGENT: "Agent",
}


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_updated", "status", "updated_at"),)

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[Status] = mapped_column(str_enum(Status), default=Status.DRAFT)
    dispute_type: Mapped[str] = mapped_column(String(40), default="other")
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    # None for a dispute that a grid worker reported or another department sent in: its
    # parties are participants, and none of them filed it through an account.
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_bodies.id"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    court_name: Mapped[str | None] = mapped_column(String(100))
    # The application form: the step reached, consents, the parties' choice of mediator.
    wizard_step: Mapped[str] = mapped_column(String(20), default="type")
    consent_online: Mapped[bool] = mapped_column(default=False)
    consent_service: Mapped[bool] = mapped_column(default=False)
    preferred_mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Sent with the first step of the form, so a double submit makes one case, not two.
    create_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    applicant: Mapped[User | None] = relationship(foreign_keys=[applicant_id])
    mediator: Mapped[User | None] = relationship(foreign_keys=[mediator_id])
    preferred_mediator: Mapped[User | None] = relationship(foreign_keys=[preferred_mediator_id])
    body: Mapped[MediationBody | None] = relationship()
    area: Mapped[Area | None] = relationship()
    participants: Mapped[list[CaseParticipant]] = relationship(
        back_populates="case", order_by="CaseParticipant.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )
    claims: Mapped[list[CaseClaim]] = relationship(
        back_populates="case", order_by="CaseClaim.position", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[EvidenceFile]] = relationship(
        back_populates="case", order_by="EvidenceFile.id", cascade="all, delete-orphan"
    )


class PartyKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class CaseParticipant(Base):
    """A party to a case; ``user_id`` links it to an account once the person has one."""

    __tablename__ = "case_participants"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    role: Mapped[ParticipantRole] = mapped_column(str_enum(ParticipantRole))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[PartyKind] = mapped_column(str_enum(PartyKind), default=PartyKind.PERSON)
    # A person's name, or an organisation's registered name.
    name: Mapped[str] = mapped_column(String(100))
    # Resident ID for a person, unified social credit code for an organisation.
    id_number: Mapped[str | None] = mapped_column(String(18))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    # For an agent: the party they act for, and how they are related to it.
    represents_id: Mapped[int | None] = mapped_column(ForeignKey("case_participants.id"))
    relation: Mapped[str | None] = mapped_column(String(40))

    case: Mapped[Case] = relationship(back_populates="participants")


class CaseClaim(Base):
    __tablename__ = "case_claims"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))

    case: Mapped[Case] = relationship(back_populates="claims")


class EvidenceFile(Base):
    """An uploaded file; the bytes live in storage under ``stored_name``."""

    __tablename__ = "evidence_files"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[created_at]

    case: Mapped[Case] = relationship(back_populates="evidence")
    uploaded_by: Mapped[User | None] = relationship()


class AssignmentStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REPLACED = "replaced"


class MediatorAssignment(Base):
    """A mediator's appointment to a case, answered within 3 working days."""

    __tablename__ = "mediator_assignments"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    chosen_by_parties: Mapped[bool] = mapped_column(default=False)
    status: Mapped[AssignmentStatus] = mapped_column(
        str_enum(AssignmentStatus), default=AssignmentStatus.PENDING)
    conflict_note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]
    # A party's request for another mediator, with its reason, for the body to act on.
    change_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    change_request: Mapped[str | None] = mapped_column(Text)

    mediator: Mapped[User] = relationship(foreign_keys=[mediator_id])
    change_requested_by: Mapped[User | None] = relationship(
        foreign_keys=[change_requested_by_id])


class MediatorChoice(Base):
    """One party's pick in the joint choice of a mediator (2 working days after consent)."""

    __tablename__ = "mediator_choices"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mediator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]

    mediator: Mapped[User] = relationship(foreign_keys=[mediator_id])


class RespondentInvite(Base):
    """A single-use link that lets a respondent see the application and answer."""

    __tablename__ = "respondent_invites"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("case_participants.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[created_at]

    participant: Mapped[CaseParticipant] = relationship()


class CaseEvent(Base):
    """One transition of a case: the timeline and the audit chain are built from these."""

    __tablename__ = "case_events"
    # The daily pre-aggregates look for cases that changed since their last run.
    __table_args__ = (Index("ix_case_events_created_at", "created_at"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    trigger: Mapped[Trigger] = mapped_column(str_enum(Trigger))
    from_status: Mapped[Status] = mapped_column(str_enum(Status))
    to_status: Mapped[Status] = mapped_column(str_enum(Status))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class CaseCounter(Base):
    """Per-year sequence behind human-readable case numbers (FQ-2026-000123)."""

    __tablename__ = "case_counters"
    __table_args__ = (UniqueConstraint("year"),)

    id: Mapped[intpk]
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)
