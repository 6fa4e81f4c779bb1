"""The parties' requests to a court, and what administrators do with stuck deliveries.

After a failed mediation the applicant files; after an agreement takes effect the parties
apply jointly for its judicial confirmation within 30 days. Either way the case's move and
the filing to deliver are written in one transaction (a transactional outbox) and the
delivery task is sent once it commits, so a filing is never lost nor sent for a move that
did not happen.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit import services as audit
from portal.cases import access
from portal.cases import services as cases
from portal.cases.models import Case
from portal.cases.states import Actor, Status, Trigger
from portal.db.types import utcnow
from portal.filing import confirmation, courts, tasks
from portal.filing.errors import FilingRefused
from portal.filing.models import PARKED, Filing, FilingKind, FilingStatus
from portal.i18n import N_
from portal.worker import send_after_commit

__all__ = ["FilingRefused", "apply_for_confirmation", "request_filing", "retry"]

UNKNOWN_COURT = N_("Choose a court from the list.")
NOT_FILEABLE = N_("This case cannot be filed with a court now.")
NOT_PARKED = N_("Only a refused or undelivered filing can be sent again.")


def court_of(court_id: str, registry: courts.Courts | None = None) -> courts.Court:
    court = (registry or courts.load()).get(court_id.strip())
    if court is None:
        raise FilingRefused(UNKNOWN_COURT)
    return court


def queue(session: Session, *, case: Case, kind: FilingKind, court: courts.Court,
          user: User | None) -> Filing:
    """The filing to deliver, in the caller's transaction; delivery starts on commit."""
    filing = Filing(package_id=str(uuid.uuid4()), case_id=case.id, kind=kind,
                    court_id=court.id, court_name=court.name, next_attempt_at=utcnow(),
                    created_by_id=user.id if user else None)
    # The court's clerks in the portal (Role.COURT_CLERK) see the cases filed with them.
    case.court_name = court.name
    session.add(filing)
    session.flush()
    audit.append(session, kind="case", action="filing.queued", subject=f"case:{case.number}",
                 actor_id=user.id if user else None,
                 data={"filing": filing.id, "package": filing.package_id, "kind": kind.value,
                       "court": court.id})
    send_after_commit(session, tasks.deliver, filing.id)
    return filing


def may_file(session: Session, case: Case, user: User) -> bool:
    return (user.role is Role.PARTY and case.status is Status.MEDIATION_FAILED
            and Actor.APPLICANT in access.capacities(session, case, user))


def request_filing(session: Session, *, case: Case, user: User, court_id: str,
                   registry: courts.Courts | None = None) -> Filing:
    """The applicant files the failed case with ``court_id`` (REQUEST_FILING)."""
    court = court_of(court_id, registry)
    if not may_file(session, case, user):
        raise FilingRefused(NOT_FILEABLE)
    cases.transition(session, case=case, trigger=Trigger.REQUEST_FILING, actor=user,
                     as_actor=Actor.APPLICANT)
    return queue(session, case=case, kind=FilingKind.LITIGATION, court=court, user=user)


def apply_for_confirmation(session: Session, *, case: Case, user: User, court_id: str,
                           registry: courts.Courts | None = None,
                           now: dt.datetime | None = None) -> Filing | None:
    """``user`` applies for the parties it speaks for; the last party's application moves
    the case (REQUEST_CONFIRMATION) and writes the filing. None while others have not."""
    # One application at a time per case: the last two parties applying together must not
    # both think someone is still missing.
    session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    session.refresh(case)
    chosen = confirmation.chosen_court(session, case)
    court = court_of(chosen or court_id, registry)
    confirmation.record(session, case=case, user=user, court_id=court.id, now=now)
    if not confirmation.complete(session, case):
        return None
    capacity = next(iter(sorted(access.capacities(session, case, user)
                                & {Actor.APPLICANT, Actor.RESPONDENT})), None)
    cases.transition(session, case=case, trigger=Trigger.REQUEST_CONFIRMATION, actor=user,
                     as_actor=capacity)
    filing = queue(session, case=case, kind=FilingKind.CONFIRMATION, court=court, user=user)
    confirmation.attach(session, case=case, filing=filing)
    return filing


def filings_of(session: Session, case_id: int) -> list[Filing]:
    return list(session.execute(select(Filing).where(Filing.case_id == case_id)
                                .order_by(Filing.id)).scalars())


def latest(session: Session, case_id: int) -> Filing | None:
    found = filings_of(session, case_id)
    return found[-1] if found else None


def retry(session: Session, *, filing_id: int, actor: User) -> Filing:
    """An administrator sends a parked filing again. A refused package goes again as a new
    package (the court would give the same answer to the same bytes and key)."""
    filing = session.execute(select(Filing).where(Filing.id == filing_id)
                             .with_for_update()).scalar_one_or_none()
    if filing is None:
        raise LookupError(filing_id)
    if filing.status not in PARKED:
        raise FilingRefused(NOT_PARKED)
    data = {"filing": filing.id, "was": filing.status.value, "package": filing.package_id,
            "last_error": filing.last_error[:500], "court_reason": filing.court_reason[:500]}
    if filing.status is FilingStatus.REFUSED:
        filing.package_id = str(uuid.uuid4())
        filing.package_name = filing.package_sha256 = None
        filing.package_size = None
        data["new_package"] = filing.package_id
    filing.status, filing.attempts = FilingStatus.QUEUED, 0
    filing.next_attempt_at = filing.updated_at = utcnow()
    filing.last_error = filing.court_reason = ""
    audit.append(session, kind="case", action="filing.retried",
                 subject=f"case:{filing.case.number}", actor_id=actor.id, data=data)
    send_after_commit(session, tasks.deliver, filing.id)
    return filing
