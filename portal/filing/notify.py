"""Who hears of a filing's delivery, and the audit entries of its outcomes.

The court's decisions move the case, so the parties hear of them as of every move
(portal.notifications); a delivery the court's system refused, or one that could not be
made, moves nothing and is told here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit import services as audit
from portal.filing.models import ConfirmationApplicant, Filing
from portal.i18n import N_
from portal.notifications import services as notifications

REFUSED = N_("The court's system did not accept the filing of case {number}. The court's "
             "reason is on the case page; an administrator can send the filing again.")
UNDELIVERED = N_("The filing of case {number} could not be delivered to the court yet. An "
                 "administrator has been told and can send it again.")
PARKED = N_("A court filing of case {number} needs attention: see Court filings under "
            "administration.")


def filers(session: Session, filing: Filing) -> set[int]:
    """The party who filed, or every party who applied jointly."""
    found = set(session.execute(select(ConfirmationApplicant.user_id).where(
        ConfirmationApplicant.filing_id == filing.id)).scalars())
    if filing.created_by_id is not None:
        found.add(filing.created_by_id)
    return found


def administrators(session: Session) -> set[int]:
    return set(session.execute(select(User.id).where(
        User.role == Role.ADMIN, User.is_active.is_(True))).scalars())


def _occasion(filing: Filing, what: str) -> str:
    # Per package: a filing sent again as a new package is told about again.
    return f"filing:{filing.id}:{filing.package_id}:{what}"


def refused(session: Session, filing: Filing) -> None:
    audit.append(session, kind="case", action="filing.refused",
                 subject=f"case:{filing.case.number}",
                 data={"filing": filing.id, "package": filing.package_id,
                       "reason": filing.court_reason[:1000]})
    notifications.notify_users(session, occasion=_occasion(filing, "refused"),
                               user_ids=filers(session, filing), case=filing.case,
                               message=REFUSED)
    notifications.notify_users(session, occasion=_occasion(filing, "parked"),
                               user_ids=administrators(session), case=filing.case,
                               message=PARKED)


def dead(session: Session, filing: Filing) -> None:
    audit.append(session, kind="case", action="filing.dead",
                 subject=f"case:{filing.case.number}",
                 data={"filing": filing.id, "package": filing.package_id,
                       "attempts": filing.attempts, "error": filing.last_error[:1000]})
    notifications.notify_users(session, occasion=_occasion(filing, "undelivered"),
                               user_ids=filers(session, filing), case=filing.case,
                               message=UNDELIVERED)
    notifications.notify_users(session, occasion=_occasion(filing, "parked"),
                               user_ids=administrators(session), case=filing.case,
                               message=PARKED)


def audit_delivered(session: Session, filing: Filing, status_code: int | None) -> None:
    audit.append(session, kind="case", action="filing.delivered",
                 subject=f"case:{filing.case.number}",
                 data={"filing": filing.id, "package": filing.package_id,
                       "sha256": filing.package_sha256, "size": filing.package_size,
                       "court_filing": filing.court_filing_id, "http": status_code,
                       "attempts": filing.attempts})
