"""Court filings: the delivery outbox, the parties' joint application, notices seen.

Table names do not start with ``court_``: that prefix is the reference receiver's, which may
share a database with the portal.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.cases.models import Case, CaseParticipant
from portal.db.base import Base
from portal.db.types import UTCDateTime, created_at, intpk, str_enum, utcnow


class FilingKind(StrEnum):
    LITIGATION = "litigation"  # mediation failed: the applicant sues
    CONFIRMATION = "confirmation"  # the agreement, for judicial confirmation


class FilingStatus(StrEnum):
    QUEUED = "queued"  # waiting for (the next) delivery attempt, from next_attempt_at
    BUILDING = "building"  # a worker is writing the package
    DELIVERING = "delivering"  # a worker is POSTing it
    DELIVERED = "delivered"  # the court's system took it; the court has not decided yet
    REFUSED = "refused"  # the court's system refused it (4xx); court_reason says why
    DEAD = "dead"  # every attempt failed; an administrator may retry
    ACCEPTED = "accepted"  # docketed, or the agreement confirmed
    REJECTED = "rejected"  # the court rejected the filing or refused to confirm


# Kept for an administrator to act on (/admin/filings).
PARKED = (FilingStatus.REFUSED, FilingStatus.DEAD)
# A worker holds the filing; after WORK_LEASE without news it is taken as lost.
WORKING = (FilingStatus.BUILDING, FilingStatus.DELIVERING)


class Filing(Base):
    """One package for one court: written with the case's move, delivered afterwards."""

    __tablename__ = "filings"
    __table_args__ = (Index("ix_filings_status_next", "status", "next_attempt_at"),)

    id: Mapped[intpk]
    # uuid4: the package's id, its bag's name and the Idempotency-Key of every attempt.
    package_id: Mapped[str] = mapped_column(String(36), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[FilingKind] = mapped_column(str_enum(FilingKind))
    court_id: Mapped[str] = mapped_column(String(64))
    court_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[FilingStatus] = mapped_column(str_enum(FilingStatus),
                                                 default=FilingStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    court_reason: Mapped[str] = mapped_column(Text, default="")
    court_filing_id: Mapped[str | None] = mapped_column(String(100))
    docket_number: Mapped[str | None] = mapped_column(String(100))
    filing_date: Mapped[dt.date | None] = mapped_column(Date)
    # The built package, kept in storage: every attempt sends the same bytes.
    package_name: Mapped[str | None] = mapped_column(String(200))
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    package_size: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The last time the court was asked for its decision (filing.scan).
    polled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()
    created_by: Mapped[User | None] = relationship()


class ConfirmationApplicant(Base):
    """One party's part of the joint application for judicial confirmation; the party's own
    account or its agent's applies."""

    __tablename__ = "filing_confirmation_applicants"
    __table_args__ = (UniqueConstraint("case_id", "participant_id"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("case_participants.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The court the first applicant chose; the others apply to the same one.
    court_id: Mapped[str] = mapped_column(String(64))
    # Set when the last party applied and the filing was written.
    filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"))
    applied_at: Mapped[created_at]

    participant: Mapped[CaseParticipant] = relationship()
    user: Mapped[User] = relationship()


class SeenNotice(Base):
    """A court notice already applied: the same signed notice twice is a replay."""

    __tablename__ = "filing_seen_notices"

    id: Mapped[intpk]
    notice_id: Mapped[str] = mapped_column(String(200), unique=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[created_at]
