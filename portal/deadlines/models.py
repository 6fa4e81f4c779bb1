from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base
from portal.db.types import UTCDateTime, created_at, intpk, str_enum


class DeadlineKind(StrEnum):
    ACCEPT = "accept"  # the body accepts or declines (3 working days)
    RESPONDENT = "respondent"  # the respondent answers (3 working days)
    CHOOSE_MEDIATOR = "choose_mediator"  # parties jointly choose (2 working days)
    ASSIGN_MEDIATOR = "assign_mediator"  # otherwise the body assigns (3 working days)
    MEDIATOR_ANSWER = "mediator_answer"  # the mediator accepts or declines (3 working days)
    MEDIATION_END = "mediation_end"  # pre-filing mediation lasts at most 30 days
    CONFIRMATION = "confirmation"  # judicial confirmation within 30 days


class Deadline(Base):
    """A statutory or configured time limit on a case; closed when met or moot."""

    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_open_due", "closed_at", "due_at"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[DeadlineKind] = mapped_column(str_enum(DeadlineKind))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # met | expired | cancelled
    outcome: Mapped[str | None] = mapped_column(String(20))


class Holiday(Base):
    """Configured calendar exceptions: public holidays, and weekend days worked instead."""

    __tablename__ = "holidays"

    id: Mapped[intpk]
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # True for a weekend day that is a working day (调休).
    is_workday: Mapped[bool] = mapped_column(default=False)
