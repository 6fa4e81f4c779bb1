"""The receiver's own tables (its own metadata: the court is not the portal).

A reference application: ``create_all`` makes the tables at start, there are no
migrations. Every table name starts with ``court_`` so the receiver may share a database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite (which keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class ReceiverBase(DeclarativeBase):
    pass


class Filing(ReceiverBase):
    """One received package. The row exists only for a package that passed verification."""

    __tablename__ = "court_filings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The Idempotency-Key, equal to the package id inside the package.
    package_id: Mapped[str] = mapped_column(String(64), unique=True)
    platform_id: Mapped[str] = mapped_column(String(100))
    kid: Mapped[str] = mapped_column(String(200))
    filing_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    case_number: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    case_json: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    stored_name: Mapped[str] = mapped_column(String(200))
    # The 201 answer, returned as is to a repeated POST with the same key.
    first_response: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    docket_number: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    filing_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class DocketCounter(ReceiverBase):
    """The last sequence number given per filing type and year (案号 restart every year)."""

    __tablename__ = "court_docket_counters"

    filing_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class Notice(ReceiverBase):
    """Every signed ReviewNotice issued; the newest per filing answers a status poll."""

    __tablename__ = "court_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(String(36), unique=True)
    filing_id: Mapped[str] = mapped_column(ForeignKey("court_filings.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Callback(ReceiverBase):
    """The outbox: a decision notice waiting to be POSTed to the platform."""

    __tablename__ = "court_callbacks"
    __table_args__ = (UniqueConstraint("notice_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("court_notices.notice_id"))
    url: Mapped[str] = mapped_column(String(2000))
    # pending -> delivered (2xx) | refused (the platform answered 4xx: sending again
    # would not change its mind; it can still poll).
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
