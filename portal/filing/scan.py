"""The periodic sweep (beat task ``filing.scan``): nothing is lost if a worker or the
court is down.

It sends the deliveries that are due (first attempts whose task was lost, retries after
their backoff), takes back filings whose worker died mid-attempt, and asks the court about
delivered filings it has not decided yet, applying the court's notice exactly as the
callback would (portal.filing.decisions).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select, update

from portal.config import Settings, get_settings
from portal.db import session_scope
from portal.db.types import utcnow
from portal.filing import courts, decisions
from portal.filing.models import WORKING, Filing, FilingStatus

log = logging.getLogger(__name__)

BATCH = 100
# Longer than any one attempt (a build, then a POST whose reads time out on their own).
WORK_LEASE = dt.timedelta(minutes=30)
POLL_EVERY = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class ScanResult:
    sent: int
    requeued: int
    polled: int
    decided: int


def requeue_lost(now: dt.datetime) -> int:
    with session_scope() as session:
        result = session.execute(update(Filing).where(
            Filing.status.in_(WORKING), Filing.updated_at < now - WORK_LEASE)
            .values(status=FilingStatus.QUEUED, next_attempt_at=now, updated_at=now)
            .execution_options(synchronize_session=False))
        count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        log.warning("%s court filings were taken back from a worker that stopped", count)
    return count


def due(now: dt.datetime) -> list[int]:
    with session_scope() as session:
        return list(session.execute(select(Filing.id).where(
            Filing.status == FilingStatus.QUEUED,
            (Filing.next_attempt_at.is_(None)) | (Filing.next_attempt_at <= now))
            .order_by(Filing.next_attempt_at, Filing.id).limit(BATCH)).scalars())


def undecided(now: dt.datetime) -> list[int]:
    with session_scope() as session:
        return list(session.execute(select(Filing.id).where(
            Filing.status == FilingStatus.DELIVERED,
            (Filing.polled_at.is_(None)) | (Filing.polled_at <= now - POLL_EVERY))
            .order_by(Filing.polled_at, Filing.id).limit(BATCH)).scalars())


def poll(filing_id: int, *, client: httpx.Client | None = None,
         settings: Settings | None = None, now: dt.datetime | None = None) -> bool:
    """Ask the court about one filing; True when its answer moved the filing."""
    settings = settings or get_settings()
    registry = courts.load(settings)
    with session_scope() as session:
        filing = session.get(Filing, filing_id)
        if filing is None or filing.status is not FilingStatus.DELIVERED:
            return False
        filing.polled_at = now or utcnow()
        court, package_id = registry.get(filing.court_id), filing.package_id
    if court is None:
        return False
    try:
        if client is None:
            with httpx.Client(timeout=settings.court_timeout) as own:
                response = own.get(court.status_url(package_id))
        else:
            response = client.get(court.status_url(package_id))
        body: Any = response.json() if response.is_success else None
    except (httpx.HTTPError, ValueError) as exc:
        log.info("could not ask %s about filing %s: %s", court.id, filing_id, exc)
        return False
    token = body.get("notice") if isinstance(body, dict) else None
    if not isinstance(token, str):
        log.info("the court answered %s without a notice for filing %s",
                 response.status_code, filing_id)
        return False
    try:
        with session_scope() as session:
            return decisions.apply_token(session, token, registry=registry,
                                         replay_ok=True)[1]
    except decisions.NoticeError as exc:
        log.warning("the court's notice for filing %s was refused: %s %s", filing_id,
                    exc.code, exc.detail)
        return False


def scan(send: Callable[[int], Any], *, client: httpx.Client | None = None,
         now: dt.datetime | None = None) -> ScanResult:
    """``send(filing_id)`` starts one delivery (the task, queued or run in place)."""
    now = now or utcnow()
    requeued = requeue_lost(now)
    sent = 0
    for filing_id in due(now):
        send(filing_id)
        sent += 1
    polled = decided = 0
    for filing_id in undecided(now):
        polled += 1
        try:
            decided += poll(filing_id, client=client, now=now)
        except Exception:
            log.exception("polling filing %s failed; it is asked again later", filing_id)
    return ScanResult(sent, requeued, polled, decided)
