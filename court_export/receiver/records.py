"""Notices issued for a filing, and the status answer built from them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from court_export.notices import ReviewNotice, sign_notice
from court_export.receiver.context import Court
from court_export.receiver.models import Callback, Filing, Notice, utcnow

NoticeStatus = Literal["received", "accepted", "rejected"]


def iso_utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# A notice older than this is signed again (same notice_id, fresh issued_at) when it is
# sent or polled, so that a platform that was away for days still gets one it accepts
# (read_notice refuses old ones) and one signed with the court's current key.
RESIGN_AFTER_SECONDS = 86400


def _review_notice(court: Court, filing: Filing, status: NoticeStatus, *, notice_id: str,
                   issued_at: datetime) -> ReviewNotice:
    return ReviewNotice(
        filing_id=filing.id,
        package_id=filing.package_id,
        court_id=court.config.court_id,
        status=status,
        docket_number=filing.docket_number if status == "accepted" else None,
        filing_date=(filing.filing_date.isoformat()
                     if status == "accepted" and filing.filing_date else None),
        reason=filing.reason if status == "rejected" else None,
        issued_at=int(issued_at.timestamp()),
        notice_id=notice_id,
    )


def issue_notice(session: Session, court: Court, filing: Filing, status: NoticeStatus,
                 *, now: datetime) -> Notice:
    """Sign a ReviewNotice for the filing as it is now and keep it; for a decision, also
    queue the callback to the platform in the same transaction (the outbox)."""
    notice = _review_notice(court, filing, status, notice_id=str(uuid.uuid4()), issued_at=now)
    row = Notice(notice_id=notice.notice_id, filing_id=filing.id, status=status,
                 token=sign_notice(notice, court.key), issued_at=now)
    session.add(row)
    platform = court.config.platforms.get(filing.platform_id)
    if status != "received" and platform is not None and platform.callback_url:
        session.flush()  # the callback row refers to the notice
        session.add(Callback(notice_id=row.notice_id, url=platform.callback_url,
                             state="pending", attempts=0, next_attempt_at=now))
    return row


def current_token(court: Court, filing: Filing, notice: Notice, *, now: datetime) -> str:
    """The notice's token, signed again when it has grown old."""
    if (now - notice.issued_at).total_seconds() < RESIGN_AFTER_SECONDS:
        return notice.token
    status = cast(NoticeStatus, notice.status)
    return sign_notice(_review_notice(court, filing, status, notice_id=notice.notice_id,
                                      issued_at=now), court.key)


def latest_notice(session: Session, filing_id: str) -> Notice | None:
    return session.scalars(
        select(Notice).where(Notice.filing_id == filing_id).order_by(Notice.id.desc()).limit(1)
    ).first()


def status_body(court: Court, filing: Filing, notice: Notice | None) -> dict[str, Any]:
    return {
        "filing_id": filing.id,
        "package_id": filing.package_id,
        "status": filing.status,
        "received_at": iso_utc(filing.received_at),
        "decided_at": iso_utc(filing.decided_at) if filing.decided_at else None,
        "docket_number": filing.docket_number,
        "filing_date": filing.filing_date.isoformat() if filing.filing_date else None,
        "reason": filing.reason,
        "notice": current_token(court, filing, notice, now=utcnow()) if notice else None,
    }
