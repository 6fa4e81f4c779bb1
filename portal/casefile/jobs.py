"""Running a dossier build: claim the job once, report progress, store, record, supersede.

Each step commits on its own, so a page polling the job sees the progress as it happens,
and a task delivered twice finds the job claimed and does nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.casefile import dossier
from portal.casefile.models import DossierJob, JobStatus
from portal.cases.models import Case, CaseEvent
from portal.db import session_scope
from portal.db.types import utcnow
from portal.i18n import N_
from portal.storage import Storage, get_storage, new_name

log = logging.getLogger(__name__)

STORAGE_PREFIX = "dossiers"
# A job queued or running for longer than this was lost (a worker died, a broker dropped it).
TIMEOUT = dt.timedelta(minutes=15)
PROGRESS_STEP = 0.05  # write progress only when it moved this much: few, short transactions
INTERNAL_ERROR = N_("The dossier could not be built because of an internal error.")
TIMED_OUT = N_("The build did not finish in time.")
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def latest(session: Session, case_id: int) -> DossierJob | None:
    return session.execute(select(DossierJob).where(DossierJob.case_id == case_id)
                           .order_by(DossierJob.id.desc()).limit(1)).scalar_one_or_none()


def latest_done(session: Session, case_id: int) -> DossierJob | None:
    return session.execute(select(DossierJob).where(
        DossierJob.case_id == case_id, DossierJob.status == JobStatus.DONE,
        DossierJob.storage_name.is_not(None)).order_by(DossierJob.id.desc()).limit(1)
    ).scalar_one_or_none()


def lost(job: DossierJob, now: dt.datetime | None = None) -> bool:
    since = (job.started_at if job.status is JobStatus.RUNNING else None) or job.created_at
    return job.status in ACTIVE and since < (now or utcnow()) - TIMEOUT


def fail(session: Session, job_id: int, message: str, params: dict[str, str] | None = None,
         *, only: tuple[JobStatus, ...] = ACTIVE) -> bool:
    """Mark the job failed (if it is still in one of ``only``); ``message`` is a msgid."""
    result = session.execute(update(DossierJob).where(
        DossierJob.id == job_id, DossierJob.status.in_(only)).values(
        status=JobStatus.FAILED, error=message, error_params=json.dumps(params or {}),
        finished_at=utcnow()).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def after_transition(session: Session, event: CaseEvent) -> None:
    """A case that moved has a dossier that no longer tells its whole story."""
    session.execute(update(DossierJob).where(
        DossierJob.case_id == event.case_id, DossierJob.stale.is_(False),
        DossierJob.status.in_([JobStatus.RUNNING, JobStatus.DONE])).values(stale=True)
        .execution_options(synchronize_session=False))


def _claim(job_id: int, case_id: int, *, takeover: bool = False) -> bool:
    # A redelivered task (acks late: the worker that had it died, or it outlived the
    # broker's visibility timeout) takes over a running job: otherwise a worker killed
    # mid-build would leave the job running until it is declared lost. Two builds at once
    # are harmless: the second to finish finds the job done and discards its file.
    claimable = ACTIVE if takeover else (JobStatus.QUEUED,)
    with session_scope() as session:
        result = session.execute(update(DossierJob).where(
            DossierJob.id == job_id, DossierJob.case_id == case_id,
            DossierJob.status.in_(claimable)).values(
            status=JobStatus.RUNNING, started_at=utcnow(), progress=0.0)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))


def progress_writer(job_id: int) -> Callable[[float], None]:
    last = -1.0

    def write(fraction: float) -> None:
        nonlocal last
        if fraction - last < PROGRESS_STEP and fraction < 1.0:
            return
        last = fraction
        try:
            with session_scope() as session:
                session.execute(update(DossierJob).where(
                    DossierJob.id == job_id, DossierJob.status == JobStatus.RUNNING)
                    .values(progress=round(min(fraction, 1.0), 3))
                    .execution_options(synchronize_session=False))
        except Exception:  # progress is for the eye; the build goes on without it
            log.warning("could not record the progress of dossier job %s", job_id,
                        exc_info=True)

    return write


def run(*, job_id: int, case_id: int, storage: Storage | None = None,
        redelivered: bool = False) -> JobStatus | None:
    """Build the job's dossier; None when the job was not waiting (already taken or done).

    ``redelivered``: the broker handed this task out before and nobody acknowledged it.
    """
    if not _claim(job_id, case_id, takeover=redelivered):
        log.info("dossier job %s is not queued; nothing to do", job_id)
        return None
    storage = storage or get_storage()
    try:
        with session_scope() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise LookupError(f"no case {case_id}")
            data = dossier.collect(session, case)
            # What this build is made of, now that it has read the case.
            session.execute(update(DossierJob).where(DossierJob.id == job_id).values(
                fingerprint=data.fingerprint).execution_options(synchronize_session=False))
        pdf = dossier.build(data, storage, progress_writer(job_id))
        saved = storage.save_sync(new_name(STORAGE_PREFIX, "pdf"), [pdf])
    except dossier.DossierError as exc:
        log.warning("dossier job %s of case %s failed: %s", job_id, case_id, exc)
        with session_scope() as session:
            fail(session, job_id, exc.message, exc.params)
        return JobStatus.FAILED
    except Exception:
        log.exception("dossier job %s of case %s failed", job_id, case_id)
        with session_scope() as session:
            fail(session, job_id, INTERNAL_ERROR)
        return JobStatus.FAILED
    try:
        return _finish(job_id, data.fingerprint, saved.name, saved.sha256, saved.size, storage)
    except Exception:
        log.exception("dossier job %s of case %s could not be recorded", job_id, case_id)
        storage.delete(saved.name)
        with session_scope() as session:
            fail(session, job_id, INTERNAL_ERROR)
        return JobStatus.FAILED


def _finish(job_id: int, fingerprint: str, name: str, sha256: str, size: int,
            storage: Storage) -> JobStatus | None:
    replaced: list[str] = []
    with session_scope() as session:
        job = session.get(DossierJob, job_id, with_for_update=True)
        if job is None or job.status is not JobStatus.RUNNING:
            # Given up on meanwhile (timed out and retried): this result belongs to nobody.
            storage.delete(name)
            return None
        job.status, job.progress, job.finished_at = JobStatus.DONE, 1.0, utcnow()
        job.fingerprint, job.storage_name, job.sha256, job.size = fingerprint, name, sha256, size
        for older in session.execute(select(DossierJob).where(
                DossierJob.case_id == job.case_id, DossierJob.id < job.id,
                DossierJob.storage_name.is_not(None))).scalars():
            replaced.append(older.storage_name or "")
            older.storage_name = None
        audit.append(session, kind="case", action="case.dossier_built",
                     subject=f"case:{job.case.number}", actor_id=job.requested_by_id,
                     data={"job": job.id, "sha256": sha256, "size": size, "storage": name,
                           "fingerprint": fingerprint})
    for old in replaced:
        try:
            storage.delete(old)
        except Exception:
            log.exception("could not delete the replaced dossier %s", old)
    return JobStatus.DONE
