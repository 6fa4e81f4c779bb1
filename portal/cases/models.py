from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
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
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_bodies.id"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    court_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    mediator: Mapped[User | None] = relationship(foreign_keys=[mediator_id])
    body: Mapped[MediationBody | None] = relationship()
    area: Mapped[Area | None] = relationship()
    participants: Mapped[list[CaseParticipant]] = relationship(
        back_populates="case", order_by="CaseParticipant.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )


class CaseParticipant(Base):
    """A party to a case; ``user_id`` links it to an account once the person has one."""

    __tablename__ = "case_participants"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    role: Mapped[ParticipantRole] = mapped_column(str_enum(ParticipantRole))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), default="")

    case: Mapped[Case] = relationship(back_populates="participants")


class CaseEvent(Base):
    """One transition of a case: the timeline and the audit chain are built from these."""

    __tablename__ = "case_events"

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
