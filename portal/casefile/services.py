"""Asking for a dossier, and what the pages show of it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.casefile import dossier, jobs, tasks
from portal.casefile.models import DossierJob, JobStatus
from portal.cases import access
from portal.cases.models import Case, CaseEvent
from portal.cases.states import Actor
from portal.db.types import utcnow
from portal.worker import send_after_commit

# Staff of the case and its parties; not the court (it gets the filing package) nor the
# grid worker who reported the dispute.
BUILDERS = frozenset({Actor.APPLICANT, Actor.RESPONDENT, Actor.MEDIATOR, Actor.BODY,
                      Actor.DISPATCHER, Actor.ADMIN})


class NotAllowed(Exception):
    pass


def may_build(session: Session, case: Case, user: User) -> bool:
    return bool(access.capacities(session, case, user) & BUILDERS)


def request_build(session: Session, *, case: Case, user: User) -> DossierJob:
    """The job that gives this case's dossier as it is now: a done or waiting one for the same
    data when there is one, else a new one, sent to a worker once this transaction commits."""
    if not may_build(session, case, user):
        raise NotAllowed(case.number)
    # One request at a time per case, so two clicks make one job (PostgreSQL; SQLite
    # serialises writers anyway).
    session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    fingerprint = dossier.collect(session, case).fingerprint
    now = utcnow()
    for job in session.execute(select(DossierJob).where(
            DossierJob.case_id == case.id, DossierJob.status != JobStatus.FAILED)
            .order_by(DossierJob.id.desc())).scalars().all():
        if jobs.lost(job, now):
            jobs.fail(session, job.id, jobs.TIMED_OUT)
            session.refresh(job)
        elif job.status is JobStatus.QUEUED or (
                job.status is JobStatus.RUNNING and job.fingerprint == fingerprint):
            return job  # it reads the case when it starts, or has read it as it is now
        elif (job.status is JobStatus.DONE and job.storage_name is not None
              and job.fingerprint == fingerprint):
            job.stale = False  # the flag came from a change the build had already seen
            return job
    job = DossierJob(case_id=case.id, fingerprint=fingerprint, requested_by_id=user.id)
    session.add(job)
    session.flush()
    send_after_commit(session, tasks.build_dossier, case.id, job.id)
    return job


def after_transition(session: Session, event: CaseEvent) -> None:
    """The case moved: a dossier built before no longer tells its whole story. Mark it stale
    and, when the case has one, build it again once this transaction commits."""
    jobs.after_transition(session, event)
    if jobs.latest_done(session, event.case_id) is None:
        return
    waiting = session.execute(select(DossierJob.id).where(
        DossierJob.case_id == event.case_id, DossierJob.status == JobStatus.QUEUED)).first()
    if waiting is not None:
        return  # it reads the case when it starts
    job = DossierJob(case_id=event.case_id, fingerprint="", requested_by_id=event.actor_id)
    session.add(job)
    session.flush()
    send_after_commit(session, tasks.build_dossier, event.case_id, job.id)


@dataclass(frozen=True)
class DossierState:
    latest: DossierJob | None  # the newest job, whatever its state
    ready: DossierJob | None  # the newest built dossier that can be downloaded
    stale: bool  # ``ready`` no longer matches the case
    lost: bool  # ``latest`` was queued or running for too long
    may_build: bool

    @property
    def busy(self) -> bool:
        return (self.latest is not None and self.latest.status in jobs.ACTIVE
                and not self.lost)

    @property
    def failed(self) -> bool:
        return self.latest is not None and (
            self.latest.status is JobStatus.FAILED or self.lost)


def state(session: Session, case: Case, user: User) -> DossierState:
    latest, ready = jobs.latest(session, case.id), jobs.latest_done(session, case.id)
    stale = ready is not None and (
        ready.stale or ready.fingerprint != dossier.collect(session, case).fingerprint)
    return DossierState(latest, ready, stale, latest is not None and jobs.lost(latest),
                        may_build(session, case, user))


def error_of(job: DossierJob) -> tuple[str, dict[str, str]]:
    """The failure's msgid and its parameters."""
    try:
        params = json.loads(job.error_params or "{}")
    except ValueError:
        params = {}
    return job.error or jobs.INTERNAL_ERROR, {str(k): str(v) for k, v in params.items()}
