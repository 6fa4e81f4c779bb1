"""Tables of the analytics domain: daily pre-aggregates and early-warning alerts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.bodies.models import Level
from portal.db.base import Base
from portal.db.types import UTCDateTime, created_at, intpk, str_enum, utcnow
from portal.dispatch.models import Source, Step

# --- Daily pre-aggregates (dashboard) ---


class Span(StrEnum):
    DAY = "day"
    # The sum of a calendar month's day rows (``day`` is the 1st): a long period reads about
    # thirty times fewer rows.
    MONTH = "month"


class _Cube:
    """What every pre-aggregate row is counted by (see portal.analytics.aggregates).

    Plain integers, no foreign keys: the rows are derived, rebuilt from the raw tables.
    """

    id: Mapped[intpk]
    span: Mapped[Span] = mapped_column(str_enum(Span, 5))
    day: Mapped[dt.date] = mapped_column(Date)
    # The order's own (lowest) area; the dashboard rolls it up to villages and towns.
    area_id: Mapped[int]
    dispute_type: Mapped[str] = mapped_column(String(40))
    level: Mapped[Level] = mapped_column(str_enum(Level, 10))


class _Orders:
    received: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    # Sum over the closed orders of (closed - created), whole seconds.
    closed_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)


class DailyFigure(_Cube, _Orders, Base):
    """Orders received, closed and rated on one local day (or month), by area, type, the
    order's level and source."""

    __tablename__ = "analytics_daily"
    __table_args__ = (Index("ix_analytics_daily_span_day", "span", "day"),)

    source: Mapped[Source] = mapped_column(str_enum(Source, 20))


class DailyBodyFigure(_Cube, _Orders, Base):
    """The same per body and mediator (the case's, now or when it ended), to compare them."""

    __tablename__ = "analytics_daily_bodies"
    __table_args__ = (Index("ix_analytics_daily_bodies_span_day", "span", "day"),)

    body_id: Mapped[int | None]
    mediator_id: Mapped[int | None]


class DailyStepFigure(_Cube, Base):
    """Steps that ended on one local day (or month), at the step's own level: how many, how
    long in all (whole seconds), and how many were still open at their deadline."""

    __tablename__ = "analytics_daily_steps"
    __table_args__ = (Index("ix_analytics_daily_steps_span_day", "span", "day"),)

    step: Mapped[Step] = mapped_column(str_enum(Step, 20))
    steps: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    overdue: Mapped[int] = mapped_column(default=0)


class AggregateState(Base):
    """How far the pre-aggregates are up to date: changes up to ``until`` are counted."""

    __tablename__ = "analytics_aggregate_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- Early warning (alerts, risk scores) ---


class AlertLevel(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    HANDLED = "handled"
    CLOSED = "closed"


class RuleKey(StrEnum):
    REPEAT = "repeat"  # the same person, phone, ID number or address in several cases
    GROUP = "group"  # many applicants against one respondent
    KEYWORDS = "keywords"  # escalation language in descriptions and minutes
    LARGE_AMOUNT = "large_amount"
    SENSITIVE_TYPE = "sensitive_type"
    FAILED_THEN_NEW = "failed_then_new"  # failed mediation, then a new report by a party
    OVERDUE = "overdue"
    HOTSPOT = "hotspot"  # an area far above its own baseline


class AlertRule(Base):
    """An administrator's settings of one rule; a rule without a row uses its defaults."""

    __tablename__ = "alert_rules"

    rule: Mapped[RuleKey] = mapped_column(str_enum(RuleKey), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    level: Mapped[AlertLevel] = mapped_column(str_enum(AlertLevel))
    # Thresholds by name (see analytics.rules.DEFAULTS): whole numbers or lists of keys.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Alert(Base):
    """One early warning: which rule saw what (``facts``), who owns it, where it stands."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_rule_subject", "rule", "subject"),
        Index("ix_alerts_case_rule", "case_id", "rule"),
        Index("ix_alerts_area_status", "area_id", "status"),
        Index("ix_alerts_owner_body_status", "owner_body_id", "status"),
    )

    id: Mapped[intpk]
    rule: Mapped[RuleKey] = mapped_column(str_enum(RuleKey))
    # What it is about: "case:12", "phone:13700001111", "org:某服装有限公司", "area:5".
    subject: Mapped[str] = mapped_column(String(200))
    # "rule|subject" while the alert is not closed, NULL after: the unique constraint keeps
    # a second alert on the same subject from opening, also when two scans race.
    open_key: Mapped[str | None] = mapped_column(String(220), unique=True)
    level: Mapped[AlertLevel] = mapped_column(str_enum(AlertLevel))
    status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus), default=AlertStatus.OPEN)
    # [{"msg": English msgid, **params}]: each fact that triggered the alert.
    facts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    case_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The case concerned (the newest one for a person, a respondent or an area).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # Scope: the area of the facts (the lowest area that holds all of them).
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    owner_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))  # the centre
    owner_body_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_bodies.id"))
    # When the newest fact happened: a closed alert is not raised again for older facts.
    evidence_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AlertEvent(Base):
    """One step of an alert's life, with who took it and their note."""

    __tablename__ = "alert_events"

    id: Mapped[intpk]
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    from_status: Mapped[AlertStatus | None] = mapped_column(str_enum(AlertStatus))
    to_status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]


class AlertScanState(Base):
    """Where the incremental scan stopped: the (time, case id) of the last change read."""

    __tablename__ = "alert_scan_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_case_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PartyKey(Base):
    """A party's identifying keys per case, normalised, for repeat and group look-ups.

    Kept by the scan (one row per case, role and key), so that "the same phone in three
    cases within 90 days" is one indexed query instead of a pass over every participant.
    """

    __tablename__ = "alert_party_keys"
    __table_args__ = (Index("ix_alert_party_keys_lookup", "kind", "value", "received_at"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # applicant | respondent
    kind: Mapped[str] = mapped_column(String(10))  # id | user | phone | address | org
    value: Mapped[str] = mapped_column(String(300))
    # Who the participant is, to count distinct applicants (an ID, a phone, or the row).
    party: Mapped[str] = mapped_column(String(300))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CaseRisk(Base):
    """The risk score of an open case (0-100) with its reasons, kept by the scan."""

    __tablename__ = "case_risks"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    score: Mapped[int] = mapped_column(index=True)
    # [{"rule", "level", "points", "msg", **params}]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
