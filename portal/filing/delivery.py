"""Delivering a filing: claim it, build its package once, POST it, record the answer.

Each step commits on its own, and no transaction stays open while the package is built or
sent. A filing is claimed by one conditional UPDATE, so a task delivered twice, or the
task and the scan at once, deliver it once; every attempt sends the same stored package
with the same Idempotency-Key (the package id), so the court files it once however often
it arrives.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import court_export.delivery as transport
from court_export.package import PackageRejected, build_package
from portal.casefile.labels import local_date
from portal.config import Settings, get_settings
from portal.db import session_scope
from portal.db.types import utcnow
from portal.filing import confirmation, courts, decisions, notify
from portal.filing import package as packages
from portal.filing.models import WORKING, Filing, FilingKind, FilingStatus
from portal.storage import Storage, get_storage, iter_reader

log = logging.getLogger(__name__)

STORAGE_PREFIX = "court-packages"


@dataclass(frozen=True)
class Claimed:
    id: int
    package_id: str
    court_id: str
    kind: FilingKind
    case_id: int
    package_name: str | None
    package_sha256: str | None


def claim(filing_id: int, now: dt.datetime, *, takeover: bool = False) -> Claimed | None:
    """Take a queued, due filing for this worker; None when it is not (any more).

    ``takeover``: the task was redelivered (the worker that had it died mid-attempt), so a
    filing left building or delivering is taken over at once rather than after the scan's
    lease; the court deduplicates on the package id, so a second POST is harmless.
    """
    due = (Filing.status == FilingStatus.QUEUED) & (
        Filing.next_attempt_at.is_(None) | (Filing.next_attempt_at <= now))
    if takeover:
        due = due | Filing.status.in_(WORKING)
    with session_scope() as session:
        taken = session.execute(update(Filing).where(Filing.id == filing_id, due)
            .values(status=FilingStatus.BUILDING, updated_at=now)
            .execution_options(synchronize_session=False))
        if not getattr(taken, "rowcount", 0):
            return None
        f = session.get(Filing, filing_id)
        assert f is not None
        return Claimed(f.id, f.package_id, f.court_id, f.kind, f.case_id, f.package_name,
                       f.package_sha256)


def _set(filing_id: int, **values: object) -> None:
    with session_scope() as session:
        session.execute(update(Filing).where(Filing.id == filing_id)
                        .values(updated_at=utcnow(), **values)
                        .execution_options(synchronize_session=False))


def _build(claimed: Claimed, registry: courts.Courts, court: courts.Court, storage: Storage,
           workdir: Path, settings: Settings) -> Path:
    with session_scope() as session:
        filing = session.get(Filing, claimed.id)
        assert filing is not None
        case = filing.case
        due = (confirmation.due_at(session, case)
               if claimed.kind is FilingKind.CONFIRMATION else None)
        contents = packages.collect(
            session, case, kind=claimed.kind, court=court, platform=registry.platform,
            package_id=claimed.package_id, filer=filing.created_by,
            confirmation_due=local_date(due))
    inp = packages.package_input(contents, storage, workdir)
    out = workdir / "package.zip"
    # A scratch file: storage syncs the copy it keeps.
    build_package(inp, out, courts.platform_key(settings), sync=False)
    # Kept in storage: later attempts, on any worker, send these very bytes. Storage hashes
    # while it copies, so the package is not read once more just for its SHA-256.
    with out.open("rb") as fh:
        saved = storage.save_sync(f"{STORAGE_PREFIX}/{claimed.package_id}.zip",
                                  iter_reader(fh))
    _set(claimed.id, package_name=saved.name, package_sha256=saved.sha256,
         package_size=saved.size)
    return out


def _stored(claimed: Claimed, storage: Storage, workdir: Path) -> Path | None:
    """The package built by an earlier attempt, copied out of storage and checked."""
    assert claimed.package_name is not None
    out = workdir / "package.zip"
    try:
        reader = storage.open(claimed.package_name)
    except FileNotFoundError:
        log.error("the package of filing %s is missing from storage; building it again",
                  claimed.id)
        return None
    digest = hashlib.sha256()
    with out.open("wb") as fh:
        for chunk in iter_reader(reader):
            digest.update(chunk)
            fh.write(chunk)
    if digest.hexdigest() != claimed.package_sha256:
        raise packages.PackageError("the stored package does not match its recorded SHA-256")
    return out


def package_path(claimed: Claimed, registry: courts.Courts, court: courts.Court,
                 storage: Storage, workdir: Path, settings: Settings) -> Path:
    if claimed.package_name:
        found = _stored(claimed, storage, workdir)
        if found is not None:
            return found
    return _build(claimed, registry, court, storage, workdir, settings)


def deliver(filing_id: int, *, client: httpx.Client | None = None,
            storage: Storage | None = None, settings: Settings | None = None,
            now: dt.datetime | None = None, redelivered: bool = False) -> FilingStatus | None:
    """One attempt; the filing's status after it, or None when it was not due or taken."""
    settings = settings or get_settings()
    claimed = claim(filing_id, now or utcnow(), takeover=redelivered)
    if claimed is None:
        return None
    registry = courts.load(settings)
    court = registry.get(claimed.court_id)
    if court is None:
        return park(filing_id, FilingStatus.DEAD,
                    f"court {claimed.court_id!r} is not configured any more")
    storage = storage or get_storage(settings)
    with tempfile.TemporaryDirectory(prefix="odr-filing-") as tmp:
        try:
            path = package_path(claimed, registry, court, storage, Path(tmp), settings)
        except (packages.PackageError, PackageRejected) as exc:
            # Stored files gone or changed, or case data no package may hold: retrying
            # cannot help, a person must look.
            return park(filing_id, FilingStatus.DEAD, f"package: {exc}")
        except Exception as exc:
            log.exception("the package of filing %s could not be built", filing_id)
            return failed(filing_id, f"package: {type(exc).__name__}: {exc}", settings)
        _set(filing_id, status=FilingStatus.DELIVERING)
        outcome = transport.deliver(court.endpoint, path, idempotency_key=claimed.package_id,
                                    timeout=settings.court_timeout, client=client)
    return record(filing_id, outcome, settings)


def _locked(session: Session, filing_id: int) -> Filing:
    filing = session.execute(select(Filing).where(Filing.id == filing_id)
                             .with_for_update()).scalar_one()
    return filing


def record(filing_id: int, outcome: transport.DeliveryOutcome,
           settings: Settings | None = None) -> FilingStatus:
    settings = settings or get_settings()
    if outcome.kind == "retry":
        return failed(filing_id, outcome.reason, settings)
    with session_scope() as session:
        filing = _locked(session, filing_id)
        filing.attempts += 1
        if outcome.kind == "refused":
            if filing.status is not FilingStatus.DELIVERING:
                return filing.status  # the court's notice said otherwise meanwhile
            filing.status, filing.court_reason = FilingStatus.REFUSED, outcome.reason
            filing.last_error = f"HTTP {outcome.status_code}: {outcome.reason}"
            filing.updated_at = utcnow()
            notify.refused(session, filing)
        else:
            court_id = outcome.body.get("filing_id")
            decisions.received(session, filing, str(court_id) if court_id else None)
            filing.updated_at = utcnow()
            notify.audit_delivered(session, filing, outcome.status_code)
        return filing.status


def failed(filing_id: int, error: str, settings: Settings) -> FilingStatus:
    """A failed attempt: again after a backoff, or parked once the attempts are spent."""
    with session_scope() as session:
        filing = _locked(session, filing_id)
        if filing.status in decisions.DECIDED or filing.status is FilingStatus.DELIVERED:
            return filing.status  # the court's notice arrived meanwhile
        filing.attempts += 1
        filing.last_error = error[:2000]
        filing.updated_at = utcnow()
        if filing.attempts >= settings.filing_max_attempts:
            filing.status, filing.next_attempt_at = FilingStatus.DEAD, None
            notify.dead(session, filing)
        else:
            wait = transport.backoff_seconds(filing.attempts)
            filing.status = FilingStatus.QUEUED
            filing.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
            log.info("filing %s attempt %s failed (%s); next in %.0fs", filing_id,
                     filing.attempts, error, wait)
        return filing.status


def park(filing_id: int, status: FilingStatus, error: str) -> FilingStatus:
    with session_scope() as session:
        filing = _locked(session, filing_id)
        filing.status, filing.last_error, filing.next_attempt_at = status, error[:2000], None
        filing.updated_at = utcnow()
        notify.dead(session, filing)
        return status
