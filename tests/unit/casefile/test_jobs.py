from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.audit.models import AuditEntry
from portal.casefile import dossier, jobs, papers, tasks
from portal.casefile import services as casefile
from portal.casefile.models import DossierJob, JobStatus
from portal.db import session_scope
from portal.db.types import utcnow
from portal.filing import services as filing
from portal.storage import get_storage
from tests.factories import UserFactory
from tests.unit.casefile.conftest import squeezed
from tests.unit.casefile.world import World, png_bytes, store_evidence

SECTIONS = ["封面", "卷内目录", "调解申请书", "受理通知书", "证据清单及证据材料", "调解笔录",
            "调解终结书", "送达回证", "案件流程记录", "卷宗备考表"]


def _build(db: Session, world: World) -> DossierJob:
    job = casefile.request_build(db, case=world.case, user=world.applicant)
    db.commit()  # the task is sent now and, without a broker, runs here
    db.refresh(job)
    return job


def _built(db: Session) -> int:
    return db.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "case.dossier_built")).scalar_one()


def test_a_build_stores_the_dossier_and_records_its_hash(world: World, db: Session) -> None:
    job = _build(db, world)
    assert (job.status, job.progress, job.error) == (JobStatus.DONE, 1.0, "")
    assert job.storage_name and job.finished_at and job.started_at
    pdf = papers.read_all(get_storage(), job.storage_name)
    assert hashlib.sha256(pdf).hexdigest() == job.sha256 and len(pdf) == job.size
    entry = db.execute(select(AuditEntry).where(
        AuditEntry.action == "case.dossier_built")).scalar_one()
    assert entry.subject == f"case:{world.case.number}"
    assert json.loads(entry.data)["sha256"] == job.sha256
    reader = PdfReader(io.BytesIO(pdf))
    assert [o.title for o in reader.outline if not isinstance(o, list)] == SECTIONS
    text = squeezed(pdf)
    assert f"卷宗第1页共{len(reader.pages)}页" in text
    # The docx cannot be embedded: listed with its hash, and the build did not fail.
    assert "未嵌入材料清单" in text and world.evidence[2].sha256 in text


def test_asking_again_for_the_same_case_reuses_the_job(world: World, db: Session) -> None:
    first = _build(db, world)
    again = _build(db, world)
    assert again.id == first.id
    assert db.execute(select(func.count()).select_from(DossierJob)).scalar_one() == 1
    assert _built(db) == 1


def test_a_task_delivered_twice_builds_once(world: World, db: Session) -> None:
    job = _build(db, world)
    assert tasks.build_dossier(world.case.id, job.id) == "skipped"
    assert jobs.run(job_id=job.id, case_id=world.case.id) is None
    db.refresh(job)
    assert job.status is JobStatus.DONE and _built(db) == 1


def test_a_job_is_claimed_by_one_run_only(world: World, db: Session) -> None:
    job = DossierJob(case_id=world.case.id, fingerprint="x" * 64)
    db.add(job)
    db.commit()
    assert jobs.run(job_id=job.id, case_id=world.case.id + 1) is None  # not this case's job
    assert jobs.run(job_id=job.id, case_id=world.case.id) is JobStatus.DONE
    assert jobs.run(job_id=job.id, case_id=world.case.id) is None
    db.refresh(job)
    assert job.fingerprint == dossier.collect(db, world.case).fingerprint


def test_a_redelivered_task_takes_over_a_job_its_dead_worker_left_running(
        world: World, db: Session) -> None:
    job = DossierJob(case_id=world.case.id, fingerprint="x" * 64)
    db.add(job)
    db.commit()
    # The first worker claimed the job and was killed before it finished.
    assert jobs._claim(job.id, world.case.id)
    assert jobs.run(job_id=job.id, case_id=world.case.id) is None  # a plain duplicate waits
    assert jobs.run(job_id=job.id, case_id=world.case.id, redelivered=True) is JobStatus.DONE
    db.refresh(job)
    assert job.status is JobStatus.DONE and _built(db) == 1
    # Done is done: even a redelivery does not build it again.
    assert jobs.run(job_id=job.id, case_id=world.case.id, redelivered=True) is None
    assert _built(db) == 1


def test_a_transition_makes_the_dossier_stale_and_builds_it_again(
        world: World, db: Session) -> None:
    old = _build(db, world)
    old_file = old.storage_name
    assert old_file and not casefile.state(db, world.case, world.applicant).stale
    filing.request_filing(db, case=world.case, user=world.applicant, court_id="zhuji")
    # Marked stale in the transition's own transaction; the rebuild is sent on commit.
    db.flush()
    db.refresh(old)
    assert old.stale
    rebuild = jobs.latest(db, world.case.id)
    assert rebuild is not None and rebuild.id != old.id and rebuild.status is JobStatus.QUEUED
    db.commit()  # without a broker the rebuild runs here
    db.refresh(rebuild)
    db.refresh(old)
    assert rebuild.status is JobStatus.DONE and not rebuild.stale
    assert old.storage_name is None and not get_storage().exists(old_file)
    state = casefile.state(db, world.case, world.applicant)
    assert state.ready is not None and state.ready.id == rebuild.id and not state.stale
    # Asking for it now gives the rebuilt dossier, not another build.
    assert _build(db, world).id == rebuild.id


def test_new_evidence_makes_the_dossier_stale_without_a_transition(
        world: World, db: Session) -> None:
    _build(db, world)
    store_evidence(db, world.case, world.applicant, "补充.png", png_bytes((5, 5)), "png",
                   "image/png", "补充证据")
    assert casefile.state(db, world.case, world.applicant).stale


def test_progress_is_committed_as_the_build_goes(
        world: World, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []
    original = jobs.progress_writer

    def watching(job_id: int) -> Callable[[float], None]:
        write = original(job_id)

        def observe(fraction: float) -> None:
            write(fraction)
            with session_scope() as other:  # what a polling page would see
                seen.append(other.get(DossierJob, job_id).progress)  # type: ignore[union-attr]

        return observe

    monkeypatch.setattr(jobs, "progress_writer", watching)
    _build(db, world)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)
    assert len({p for p in seen if 0 < p < 1}) >= 5


def test_missing_evidence_fails_clearly_and_can_be_retried(world: World, db: Session) -> None:
    row = world.evidence[0]
    data = papers.read_all(get_storage(), row.stored_name)
    get_storage().delete(row.stored_name)
    failed = _build(db, world)
    assert failed.status is JobStatus.FAILED and failed.storage_name is None
    assert casefile.error_of(failed) == (dossier.MISSING_EVIDENCE, {"name": "劳动合同.pdf"})
    state = casefile.state(db, world.case, world.applicant)
    assert state.failed and not state.busy and state.ready is None
    get_storage().save_sync(row.stored_name, [data])
    retried = _build(db, world)
    assert retried.id != failed.id and retried.status is JobStatus.DONE


def test_evidence_changed_in_storage_is_refused(world: World, db: Session) -> None:
    row = world.evidence[1]
    get_storage().save_sync(row.stored_name, [png_bytes((9, 9))])
    job = _build(db, world)
    assert casefile.error_of(job) == (dossier.CHANGED_EVIDENCE, {"name": "工资条.png"})


def test_an_unexpected_error_fails_the_job(
        world: World, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(dossier, "build", explode)
    job = _build(db, world)
    assert job.status is JobStatus.FAILED and job.error == jobs.INTERNAL_ERROR
    assert job.finished_at is not None


def test_a_lost_job_is_given_up_and_replaced(world: World, db: Session) -> None:
    stuck = DossierJob(case_id=world.case.id, fingerprint="y" * 64,
                       created_at=utcnow() - jobs.TIMEOUT - dt.timedelta(minutes=1))
    db.add(stuck)
    db.commit()
    assert casefile.state(db, world.case, world.applicant).lost
    job = _build(db, world)
    db.refresh(stuck)
    assert stuck.status is JobStatus.FAILED and stuck.error == jobs.TIMED_OUT
    assert job.id != stuck.id and job.status is JobStatus.DONE


def test_a_result_for_a_job_given_up_meanwhile_is_thrown_away(
        world: World, db: Session) -> None:
    job = DossierJob(case_id=world.case.id, fingerprint="z" * 64, status=JobStatus.FAILED)
    db.add(job)
    db.commit()
    saved = get_storage().save_sync("dossiers/late-result.pdf", [b"%PDF-late"])
    assert jobs._finish(job.id, "z" * 64, saved.name, saved.sha256, saved.size,
                        get_storage()) is None
    assert not get_storage().exists(saved.name)


def test_only_the_cases_parties_and_staff_may_build(world: World, db: Session) -> None:
    clerk = UserFactory(role=Role.COURT_CLERK, court_name="诸暨市人民法院")
    assert not casefile.may_build(db, world.case, clerk)  # sees the case, builds nothing
    with pytest.raises(casefile.NotAllowed):
        casefile.request_build(db, case=world.case, user=clerk)
    with pytest.raises(casefile.NotAllowed):
        casefile.request_build(db, case=world.case, user=world.stranger)
    for user in (world.respondent, world.mediator, world.boss):
        assert casefile.may_build(db, world.case, user)


def test_a_result_that_cannot_be_recorded_is_not_left_behind(
        world: World, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    saved: list[str] = []
    original = get_storage().__class__.save_sync

    def remember(self: object, name: str, *args: object, **kwargs: object) -> object:
        saved.append(name)
        return original(self, name, *args, **kwargs)  # type: ignore[arg-type]

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(get_storage().__class__, "save_sync", remember)
    monkeypatch.setattr(jobs.audit, "append", refuse)
    job = _build(db, world)
    assert job.status is JobStatus.FAILED and job.error == jobs.INTERNAL_ERROR
    dossiers = [n for n in saved if n.startswith(f"{jobs.STORAGE_PREFIX}/")]
    assert len(dossiers) == 1 and not get_storage().exists(dossiers[0])
