"""Delivering a filing against a court faked with httpx.MockTransport: one package, one
key, whatever happens; refusals shown, failures retried with backoff, then parked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from court_export.keys import load_public_keys
from court_export.package import verify_package
from portal.accounts.roles import Role
from portal.cases.states import Status
from portal.config import get_settings
from portal.db.types import utcnow
from portal.filing import courts, delivery, scan, services
from portal.filing.models import Filing, FilingStatus
from portal.notifications.models import Notification
from portal.storage import get_storage
from tests.factories import UserFactory
from tests.unit.casefile.world import World, build_world

Reply = Callable[[httpx.Request], httpx.Response]


class FakeCourt:
    """Answers each POST with the next reply; keeps every request's key and body digest."""

    def __init__(self, tmp: Path, *replies: Reply) -> None:
        self.replies = list(replies)
        self.seen: list[tuple[str, str]] = []
        self.tmp = tmp

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        self.seen.append((request.headers["idempotency-key"], hashlib.sha256(body).hexdigest()))
        return self.replies.pop(0)(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))


def accepted(request: httpx.Request) -> httpx.Response:
    return httpx.Response(201, json={"filing_id": "court-77", "status": "received",
                                     "package_id": request.headers["idempotency-key"]})


def status(code: int, **body: str) -> Reply:
    return lambda _request: httpx.Response(code, json=body)


@pytest.fixture
def filed(db: Session, held: list[int]) -> tuple[World, Filing]:
    world = build_world(db)
    filing = services.request_filing(db, case=world.case, user=world.applicant,
                                     court_id="zhuji")
    db.commit()
    return world, filing


def test_accepted_delivery_moves_the_case_to_received(
        db: Session, filed: tuple[World, Filing], tmp_path: Path) -> None:
    world, filing = filed

    def check(request: httpx.Request) -> httpx.Response:
        path = tmp_path / "got.zip"
        path.write_bytes(request.read())
        keys = load_public_keys(courts.platform_key_dir(get_settings()))
        verified = verify_package(path, keys)
        assert verified.package_id == request.headers["idempotency-key"] == filing.package_id
        assert request.headers["content-type"] == "application/zip"
        assert request.url == "http://127.0.0.1:8000/court/api/v1/filings"
        return accepted(request)

    court = FakeCourt(tmp_path, check)
    assert delivery.deliver(filing.id, client=court.client()) is FilingStatus.DELIVERED
    db.expire_all()
    assert (filing.status, filing.court_filing_id, filing.attempts) == (
        FilingStatus.DELIVERED, "court-77", 1)
    assert world.case.status is Status.FILING_RECEIVED
    event = world.case.events[-1]
    assert (event.actor_id, event.actor_role) == (None, "court")
    assert filing.package_sha256 == court.seen[0][1]
    assert get_storage().exists(filing.package_name or "")
    # Delivered once: the task again finds nothing to do.
    assert delivery.deliver(filing.id, client=court.client()) is None


def test_a_refusal_shows_the_courts_reason_and_parks_the_filing(
        db: Session, filed: tuple[World, Filing], tmp_path: Path) -> None:
    world, filing = filed
    admin = UserFactory(role=Role.ADMIN)
    court = FakeCourt(tmp_path, status(422, error="schema_invalid",
                                       detail="case.json at claims/0: too long"))
    assert delivery.deliver(filing.id, client=court.client()) is FilingStatus.REFUSED
    db.expire_all()
    assert filing.status is FilingStatus.REFUSED
    assert filing.court_reason == "schema_invalid: case.json at claims/0: too long"
    assert world.case.status is Status.FILING_REQUESTED
    told = {n.user_id for n in db.execute(select(Notification)).scalars()
            if n.message.startswith(("The court's system", "A court filing"))}
    assert told == {world.applicant.id, admin.id}
    # An administrator sends it again: as a new package, since the court answers a key
    # it has seen with its first answer.
    old = filing.package_id
    services.retry(db, filing_id=filing.id, actor=admin)
    db.commit()
    assert filing.status is FilingStatus.QUEUED and filing.package_id != old
    assert filing.attempts == 0 and filing.court_reason == "" and filing.package_name is None


def test_failures_are_retried_with_backoff_and_the_same_package(
        db: Session, filed: tuple[World, Filing], tmp_path: Path) -> None:
    _world, filing = filed
    court = FakeCourt(tmp_path, status(500, error="oops", detail="down"),
                      status(503), accepted)
    start = utcnow()
    assert delivery.deliver(filing.id, client=court.client()) is FilingStatus.QUEUED
    db.expire_all()
    assert filing.attempts == 1 and "oops: down" in filing.last_error
    assert filing.next_attempt_at is not None and filing.next_attempt_at >= start
    assert filing.next_attempt_at <= utcnow() + dt.timedelta(seconds=30)  # base 30 s
    later = utcnow() + dt.timedelta(hours=2)
    assert delivery.deliver(filing.id, client=court.client(), now=later) is FilingStatus.QUEUED
    assert delivery.deliver(filing.id, client=court.client(), now=later) is (
        FilingStatus.DELIVERED)
    keys, digests = zip(*court.seen, strict=True)
    assert set(keys) == {filing.package_id} and len(set(digests)) == 1
    db.expire_all()
    assert filing.attempts == 3 and filing.status is FilingStatus.DELIVERED


def test_a_retry_is_not_sent_before_its_time(
        db: Session, filed: tuple[World, Filing], tmp_path: Path) -> None:
    _world, filing = filed
    court = FakeCourt(tmp_path, status(502))
    delivery.deliver(filing.id, client=court.client())
    assert delivery.deliver(filing.id, client=court.client()) is None
    assert scan.due(utcnow()) == []
    assert len(court.seen) == 1


def test_spent_attempts_park_the_filing_for_an_administrator(
        db: Session, filed: tuple[World, Filing], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    world, filing = filed
    monkeypatch.setattr(get_settings(), "filing_max_attempts", 2)
    court = FakeCourt(tmp_path, status(500), status(500), accepted)
    later = utcnow() + dt.timedelta(days=1)
    delivery.deliver(filing.id, client=court.client())
    assert delivery.deliver(filing.id, client=court.client(), now=later) is FilingStatus.DEAD
    db.expire_all()
    assert filing.next_attempt_at is None and filing.attempts == 2
    assert delivery.deliver(filing.id, client=court.client(), now=later) is None
    told = db.execute(select(Notification.user_id).where(
        Notification.message.startswith("The filing of case"))).scalars().all()
    assert told == [world.applicant.id]
    package = filing.package_id
    services.retry(db, filing_id=filing.id, actor=UserFactory(role=Role.ADMIN))
    db.commit()
    assert filing.package_id == package  # never delivered: the same package goes again
    assert delivery.deliver(filing.id, client=court.client()) is FilingStatus.DELIVERED
    assert len({digest for _, digest in court.seen}) == 1


def test_a_filing_is_taken_by_one_worker_and_a_lost_one_is_taken_back(
        db: Session, filed: tuple[World, Filing], tmp_path: Path) -> None:
    _world, filing = filed
    assert delivery.claim(filing.id, utcnow()) is not None
    court = FakeCourt(tmp_path, accepted)
    assert delivery.deliver(filing.id, client=court.client()) is None  # held by the first
    assert scan.requeue_lost(utcnow()) == 0
    later = utcnow() + scan.WORK_LEASE + dt.timedelta(seconds=1)
    assert scan.requeue_lost(later) == 1
    assert delivery.deliver(filing.id, client=court.client(), now=later) is (
        FilingStatus.DELIVERED)
    assert len(court.seen) == 1


def test_a_redelivered_task_takes_over_a_filing_its_dead_worker_left(
        db: Session, filed: tuple[World, Filing], tmp_path: Path) -> None:
    _world, filing = filed
    assert delivery.claim(filing.id, utcnow()) is not None  # then the worker was killed
    court = FakeCourt(tmp_path, accepted)
    assert delivery.deliver(filing.id, client=court.client()) is None
    assert delivery.deliver(filing.id, client=court.client(), redelivered=True) is (
        FilingStatus.DELIVERED)
    # Delivered is final for deliveries: a further redelivery sends nothing.
    assert delivery.deliver(filing.id, client=court.client(), redelivered=True) is None
    assert len(court.seen) == 1


def test_a_package_missing_evidence_is_parked_not_retried(
        db: Session, filed: tuple[World, Filing], tmp_path: Path) -> None:
    world, filing = filed
    get_storage().delete(world.evidence[1].stored_name)
    court = FakeCourt(tmp_path)
    assert delivery.deliver(filing.id, client=court.client()) is FilingStatus.DEAD
    db.expire_all()
    assert "工资条.png" in filing.last_error and "missing" in filing.last_error
    assert court.seen == []


def test_the_scan_sends_due_filings(db: Session, filed: tuple[World, Filing]) -> None:
    _world, filing = filed
    sent: list[int] = []
    result = scan.scan(sent.append)
    assert sent == [filing.id] and result.sent == 1
    assert json.dumps(result.__dict__)
