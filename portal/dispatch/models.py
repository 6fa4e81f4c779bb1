"""Work orders (DESIGN.md §6): every dispute, however found, owned by someone until closed.

A work order wraps exactly one case (one identity, one timeline). The order records where
the dispute came from, which level handles it, who owns the current step and when that
step is due; ``OrderStep`` keeps the history of steps for tracking and figures.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.bodies.models import Area, Level, MediationBody
from portal.cases.models import Case
from portal.db.base import Base
from portal.db.types import UTCDateTime, created_at, intpk, str_enum, utcnow


class Source(StrEnum):
    APPLICATION = "application"  # a party's online application
    GRID_REPORT = "grid_report"  # a grid worker's report from the field
    TRANSFER_IN = "transfer_in"  # from another department
    COURT_REFERRAL = "court_referral"  # a court's referral for pre-filing mediation


class Department(StrEnum):
    POLICE = "police"
    PETITIONS = "petitions"
    HOTLINE_12345 = "hotline_12345"
    LABOUR_INSPECTION = "labour_inspection"
    COURT = "court"
    LABOUR_ARBITRATION = "labour_arbitration"
    ADMINISTRATIVE_REVIEW = "administrative_review"
    OTHER = "other"


# Where a dispute may come from, and where one may be sent when mediation is not the way.
INBOUND = (Department.POLICE, Department.PETITIONS, Department.HOTLINE_12345,
           Department.LABOUR_INSPECTION, Department.COURT, Department.OTHER)
OUTBOUND = (Department.COURT, Department.POLICE, Department.LABOUR_ARBITRATION,
            Department.ADMINISTRATIVE_REVIEW, Department.OTHER)


class Step(StrEnum):
    DISPATCH = "dispatch"  # the centre of the order's level sends it to a body
    ACCEPT = "accept"  # the body accepts, returns, or asks to escalate
    HANDLE = "handle"  # the body handles the mediation case
    FOLLOW_UP = "follow_up"  # the case ended: outcome, follow-up visit, satisfaction
    REVIEW = "review"  # the centre reviews and closes
    CLOSED = "closed"


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"  # may escalate quickly (threats, a crowd, a vulnerable party)
    MAJOR = "major"  # large, group or cross-area disputes: the city level


class Outcome(StrEnum):
    AGREEMENT = "agreement"
    CONFIRMED = "confirmed"  # agreement confirmed by a court
    TRANSFERRED = "transferred"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"  # a duplicate folded into another order


class Performance(StrEnum):
    """Whether the agreement is being carried out, as found on the follow-up visit."""

    FULLY = "fully"
    PARTLY = "partly"
    NOT_YET = "not_yet"
    REFUSED = "refused"
    NOT_APPLICABLE = "not_applicable"


class WorkOrder(Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_open_due", "step", "due_at"),
        Index("ix_work_orders_owner_area_step", "owner_area_id", "step"),
        # The daily pre-aggregates (portal.analytics.aggregates) read orders by these.
        Index("ix_work_orders_created_at", "created_at"),
        Index("ix_work_orders_closed_at", "closed_at"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    source: Mapped[Source] = mapped_column(str_enum(Source))
    # For transfers in and court referrals: who sent it and their reference number.
    department: Mapped[Department | None] = mapped_column(str_enum(Department))
    external_ref: Mapped[str] = mapped_column(String(100), default="")
    # Where the dispute arose (the lowest known area, often a grid or a village).
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # The level that handles it now; raised by escalation, never lowered.
    level: Mapped[Level] = mapped_column(str_enum(Level))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority), default=Priority.NORMAL)
    is_group: Mapped[bool] = mapped_column(default=False)  # many parties on one side
    step: Mapped[Step] = mapped_column(str_enum(Step), default=Step.DISPATCH)
    # The owner of the current step: a centre (its area's dispatchers) or a body.
    owner_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    owner_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("mediation_bodies.id"), index=True)
    step_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Set when the current step ran out of time and could not be escalated further.
    overdue_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    escalations: Mapped[int] = mapped_column(default=0)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    # Near-duplicate reports: flagged on intake, merged by a dispatcher.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome))
    closing_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]

    case: Mapped[Case] = relationship()
    area: Mapped[Area] = relationship(foreign_keys=[area_id])
    owner_area: Mapped[Area | None] = relationship(foreign_keys=[owner_area_id])
    owner_body: Mapped[MediationBody | None] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    steps: Mapped[list[OrderStep]] = relationship(
        back_populates="order", order_by="OrderStep.id", cascade="all, delete-orphan")
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="order", order_by="FollowUp.id", cascade="all, delete-orphan")
    ratings: Mapped[list[SatisfactionRating]] = relationship(
        back_populates="order", order_by="SatisfactionRating.id", cascade="all, delete-orphan")
    transfers: Mapped[list[Transfer]] = relationship(
        back_populates="order", order_by="Transfer.id", cascade="all, delete-orphan")


class OrderStep(Base):
    """One step of an order's life: who owned it, at which level, when it was due."""

    __tablename__ = "work_order_steps"
    # The daily pre-aggregates read the steps that ended, or changed, since their last run.
    __table_args__ = (
        Index("ix_work_order_steps_ended_at", "ended_at"),
        Index("ix_work_order_steps_started_at", "started_at"),
    )

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    step: Mapped[Step] = mapped_column(str_enum(Step))
    level: Mapped[Level] = mapped_column(str_enum(Level))
    owner_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    owner_body_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_bodies.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # True when the step was still open at its deadline.
    went_overdue: Mapped[bool] = mapped_column(default=False)
    # Why the step ended: the case event, escalation or closing that moved the order on.
    note: Mapped[str] = mapped_column(Text, default="")
    case_event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))

    order: Mapped[WorkOrder] = relationship(back_populates="steps")
    owner_area: Mapped[Area | None] = relationship()
    owner_body: Mapped[MediationBody | None] = relationship()


class StepRule(Base):
    """An administrator's override of a step's time limit (defaults in dispatch.rules)."""

    __tablename__ = "dispatch_step_rules"

    step: Mapped[Step] = mapped_column(str_enum(Step), primary_key=True)
    working_days: Mapped[int] = mapped_column(default=0)
    calendar_days: Mapped[int] = mapped_column(default=0)
    remind_hours: Mapped[int] = mapped_column(default=24)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FollowUp(Base):
    """A follow-up visit after the case ended (回访)."""

    __tablename__ = "work_order_follow_ups"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    visited_on: Mapped[dt.date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(Text)
    performance: Mapped[Performance] = mapped_column(str_enum(Performance))
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]

    order: Mapped[WorkOrder] = relationship(back_populates="follow_ups")
    visitor: Mapped[User | None] = relationship()


class SatisfactionRating(Base):
    """A party's satisfaction (1 to 5), given online or collected on the visit."""

    __tablename__ = "work_order_ratings"
    __table_args__ = (Index("ix_work_order_ratings_created_at", "created_at"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("case_participants.id"))
    party_name: Mapped[str] = mapped_column(String(100))
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]

    order: Mapped[WorkOrder] = relationship(back_populates="ratings")


class Transfer(Base):
    """A dispute sent out to, or received from, another department."""

    __tablename__ = "work_order_transfers"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    outbound: Mapped[bool]
    department: Mapped[Department] = mapped_column(str_enum(Department))
    # The receiving court or office by name, and its reference number when known.
    recipient: Mapped[str] = mapped_column(String(200), default="")
    external_ref: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    case_event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]

    order: Mapped[WorkOrder] = relationship(back_populates="transfers")
