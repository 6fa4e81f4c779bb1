"""The court's answers, applied to the filing and the case.

A court's decision is a signed notice (court_export.notices, after ECF's
NotifyFilingReviewComplete). It arrives by the court's callback or by polling; both go
through ``apply_token``, which checks the signature against the keys of the court the
filing went to, refuses a notice seen before, and moves the case as the court: these moves
are DEDICATED in portal.cases.services and fired only here (and on the court system's own
answer to the delivery, ``received``).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from court_export.notices import NoticeRejected, ReviewNotice, read_notice
from portal.audit import services as audit
from portal.cases import services as cases
from portal.cases.models import Case
from portal.cases.states import Actor, Status, Trigger
from portal.db.types import utcnow
from portal.filing import courts
from portal.filing.models import Filing, FilingKind, FilingStatus, SeenNotice

log = logging.getLogger(__name__)

DECIDED = (FilingStatus.ACCEPTED, FilingStatus.REJECTED)
# Bad signature or a key nobody configured: the sender is not (known to be) the court.
UNAUTHENTICATED = frozenset({"bad_signature", "unknown_key"})


class NoticeError(Exception):
    """Why a notice is refused: the HTTP status, a machine-readable code, an English detail."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


def _all_keys(registry: courts.Courts) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for court in registry.courts:
        found.update(court.public_keys())
    return found


def _read(token: str, keys: dict[str, bytes]) -> ReviewNotice:
    try:
        return read_notice(token, keys)
    except NoticeRejected as exc:
        raise NoticeError(401 if exc.code in UNAUTHENTICATED else 400, exc.code,
                          exc.detail) from None


def as_court(session: Session, case: Case, trigger: Trigger, reason: str = "") -> None:
    cases.transition(session, case=case, trigger=trigger, actor=None, as_actor=Actor.COURT,
                     reason=reason)


def received(session: Session, filing: Filing, court_filing_id: str | None) -> None:
    """The court's system has the package: a filing for litigation is now with the court."""
    if court_filing_id:
        filing.court_filing_id = court_filing_id
    if filing.status not in DECIDED:
        filing.status = FilingStatus.DELIVERED
        filing.delivered_at = filing.delivered_at or utcnow()
        filing.last_error = filing.court_reason = ""
    if filing.kind is FilingKind.LITIGATION and filing.case.status is Status.FILING_REQUESTED:
        as_court(session, filing.case, Trigger.COURT_RECEIVE)


def _accepted(session: Session, filing: Filing, notice: ReviewNotice) -> None:
    received(session, filing, notice.filing_id)
    filing.status, filing.decided_at = FilingStatus.ACCEPTED, utcnow()
    filing.docket_number = notice.docket_number
    filing.filing_date = dt.date.fromisoformat(notice.filing_date) if notice.filing_date else None
    if filing.kind is FilingKind.LITIGATION:
        as_court(session, filing.case, Trigger.DOCKET, notice.docket_number or "")
    else:
        as_court(session, filing.case, Trigger.COURT_CONFIRM, notice.docket_number or "")


def _rejected(session: Session, filing: Filing, notice: ReviewNotice) -> None:
    if notice.filing_id:
        filing.court_filing_id = notice.filing_id
    filing.status, filing.decided_at = FilingStatus.REJECTED, utcnow()
    filing.court_reason = notice.reason or ""
    trigger = (Trigger.REJECT_FILING if filing.kind is FilingKind.LITIGATION
               else Trigger.COURT_REFUSE_CONFIRMATION)
    as_court(session, filing.case, trigger, notice.reason or "")


def apply(session: Session, notice: ReviewNotice, filing: Filing) -> bool:
    """Move the filing and its case as ``notice`` says; False when it changes nothing."""
    if filing.status in DECIDED:
        same = (notice.status == "received"
                or (notice.status == "accepted") == (filing.status is FilingStatus.ACCEPTED))
        if same:
            return False
        raise NoticeError(409, "conflict", f"filing {filing.package_id} was already decided "
                                           f"({filing.status.value})")
    if notice.status == "received":
        received(session, filing, notice.filing_id)
    elif notice.status == "accepted":
        _accepted(session, filing, notice)
    else:
        _rejected(session, filing, notice)
    filing.updated_at = utcnow()
    audit.append(session, kind="case", action=f"filing.{notice.status}",
                 subject=f"case:{filing.case.number}",
                 data={"filing": filing.id, "package": filing.package_id,
                       "notice": notice.notice_id, "court_filing": notice.filing_id,
                       "docket": notice.docket_number, "reason": notice.reason})
    return True


def apply_token(session: Session, token: str, *, registry: courts.Courts | None = None,
                replay_ok: bool = False) -> tuple[Filing, bool]:
    """Verify and apply one notice, in the caller's transaction.

    ``replay_ok``: a notice seen before is no error (polling finds the callback's notice
    again) but still changes nothing. Raises NoticeError.
    """
    registry = registry or courts.load()
    notice = _read(token, _all_keys(registry))
    filing = session.execute(select(Filing).where(Filing.package_id == notice.package_id)
                             .with_for_update()).scalar_one_or_none()
    if filing is None:
        raise NoticeError(404, "unknown_filing",
                          f"no filing with package id {notice.package_id}")
    court = registry.get(filing.court_id)
    if court is None or notice.court_id != filing.court_id:
        raise NoticeError(403, "wrong_court",
                          f"filing {notice.package_id} went to another court")
    try:
        _read(token, court.public_keys())  # signed by this court, not by another one
    except NoticeError:
        raise NoticeError(403, "wrong_court", f"notice for filing {notice.package_id} is "
                                              "signed with another court's key") from None
    seen = session.execute(select(SeenNotice.id).where(
        SeenNotice.notice_id == notice.notice_id)).first()
    if seen is not None:
        if replay_ok:
            return filing, False
        raise NoticeError(409, "replayed", f"notice {notice.notice_id} was already received")
    # Flushed now: a concurrent copy of this notice fails on the unique notice id.
    session.add(SeenNotice(notice_id=notice.notice_id, filing_id=filing.id,
                           status=notice.status))
    session.flush()
    return filing, apply(session, notice, filing)
