"""The clerk's decision: accept and docket, or reject with a reason.

Each decision is one transaction: the filing moves out of "received" by a conditional
UPDATE (so a double click or two clerks cannot decide twice or burn a docket number),
the docket number is taken from the per-year, per-type counter, and the signed notice
and its callback are written with it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from court_export.receiver.context import Court
from court_export.receiver.models import DocketCounter, Filing, utcnow
from court_export.receiver.records import issue_notice

MAX_REASON = 2000


class AlreadyDecided(Exception):
    pass


class UnknownFiling(Exception):
    pass


def next_seq(session: Session, *, filing_type: str, year: int) -> int:
    """The next docket sequence for the type and year; atomic under concurrency.

    The UPDATE row-locks the counter until commit (PostgreSQL) or holds SQLite's write
    lock; the first number of a year races on the primary key and the loser retries.
    """
    bump = (update(DocketCounter)
            .where(DocketCounter.filing_type == filing_type, DocketCounter.year == year)
            .values(last_seq=DocketCounter.last_seq + 1)
            .returning(DocketCounter.last_seq))
    seq = session.execute(bump).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    try:
        with session.begin_nested():
            session.add(DocketCounter(filing_type=filing_type, year=year, last_seq=1))
        return 1
    except IntegrityError:
        return int(session.execute(bump).scalar_one())


def accept(court: Court, filing_id: str, *, clerk: str, now: datetime | None = None) -> Filing:
    now = now or utcnow()
    filing_date = now.astimezone(court.config.zone).date()
    with court.db.session() as session:
        filing = _decide(session, filing_id, "accepted", clerk=clerk, now=now)
        seq = next_seq(session, filing_type=filing.filing_type, year=filing_date.year)
        filing.docket_number = docket_number(court, filing.filing_type, filing_date, seq)
        filing.filing_date = filing_date
        issue_notice(session, court, filing, "accepted", now=now)
        session.commit()
    court.wake_outbox()
    return filing


def reject(court: Court, filing_id: str, *, clerk: str, reason: str,
           now: datetime | None = None) -> Filing:
    reason = reason.strip()
    if not reason:
        raise ValueError("a rejection needs a reason")
    if len(reason) > MAX_REASON:
        raise ValueError(f"the reason is longer than {MAX_REASON} characters")
    now = now or utcnow()
    with court.db.session() as session:
        filing = _decide(session, filing_id, "rejected", clerk=clerk, now=now)
        filing.reason = reason
        issue_notice(session, court, filing, "rejected", now=now)
        session.commit()
    court.wake_outbox()
    return filing


def docket_number(court: Court, filing_type: str, filing_date: date, seq: int) -> str:
    return court.config.docket_formats[filing_type].format(year=filing_date.year, seq=seq)


def _decide(session: Session, filing_id: str, status: str, *, clerk: str,
            now: datetime) -> Filing:
    moved = session.execute(
        update(Filing)
        .where(Filing.id == filing_id, Filing.status == "received")
        .values(status=status, decided_at=now, decided_by=clerk)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        if session.get(Filing, filing_id) is None:
            raise UnknownFiling(filing_id)
        raise AlreadyDecided(filing_id)
    filing = session.get(Filing, filing_id, populate_existing=True)
    assert filing is not None
    return filing
