"""Reminders before a session, run every minute by the beat task ``mediation.remind``.

Two per session: the day before (24 hours ahead) and 15 minutes before. A reminder whose
moment came before the session was scheduled is not sent (the invitation says it all),
nor one the 15-minute reminder has overtaken; cancelled sessions, sessions of cases no
longer in mediation and sessions of a mediator since replaced are skipped. Each reminder
goes out once per session and invitee, however often the scan runs.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cases.models import Case
from portal.db.types import utcnow
from portal.mediation import notices
from portal.mediation.models import MEDIATING, MediationSession, SessionStatus
from portal.notifications import delivery

log = logging.getLogger(__name__)

DAY, SOON = dt.timedelta(hours=24), dt.timedelta(minutes=15)
# kind, how long before the start, and the latest it may go out (before the start).
LEADS: tuple[tuple[str, dt.timedelta, dt.timedelta], ...] = (
    (notices.REMIND_DAY, DAY, SOON),
    (notices.REMIND_SOON, SOON, dt.timedelta(0)),
)
BATCH = 200


def due(session: Session, now: dt.datetime, lead: dt.timedelta,
        cutoff: dt.timedelta) -> list[int]:
    """Sessions whose reminder of ``lead`` is due now."""
    rows = session.execute(
        select(MediationSession.id, MediationSession.starts_at, MediationSession.created_at)
        .join(Case, Case.id == MediationSession.case_id).where(
            MediationSession.status == SessionStatus.SCHEDULED,
            MediationSession.starts_at <= now + lead,
            MediationSession.starts_at > now + cutoff,
            Case.status.in_(list(MEDIATING)),
            Case.mediator_id == MediationSession.mediator_id,
        ).order_by(MediationSession.starts_at).limit(BATCH)
    ).all()
    # Compared here: date arithmetic in SQL differs between SQLite and PostgreSQL.
    return [id_ for id_, starts_at, created_at in rows if created_at <= starts_at - lead]


def remind(session: Session, *, now: dt.datetime | None = None) -> int:
    """Send the reminders due by ``now``; returns how many sessions were reminded."""
    now = now or utcnow()
    sent = 0
    for kind, lead, cutoff in LEADS:
        for meeting_id in due(session, now, lead, cutoff):
            try:
                with session.begin_nested():
                    # One marker per session and reminder keeps later scans to one query.
                    if not delivery.claim(session, occasion=f"session:{meeting_id}:{kind}",
                                          channel="task", recipient="session"):
                        continue
                    meeting = session.get(MediationSession, meeting_id)
                    assert meeting is not None
                    notices.send(session, meeting, kind, now)
                    sent += 1
            except Exception:
                log.exception("reminder %s for session %s failed; it is tried again",
                              kind, meeting_id)
    return sent
