"""A real Celery worker takes the notification task from Redis and writes to our database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from kombu import Exchange, Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.cases import services as cases
from portal.cases.states import Trigger
from portal.config import PROJECT_ROOT, Settings
from portal.notifications.models import Notification
from portal.worker import configure
from tests.factories import BodyFactory, CaseFactory, UserFactory, add_respondent
from tests.services import unavailable

pytestmark = pytest.mark.redis

TASK = "notifications.notify_case_event"
WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get("ODR_TEST_REDIS_URL", "")
    if not url:
        unavailable("ODR_TEST_REDIS_URL is not set")
    return url


@pytest.fixture
def queue() -> str:
    return f"odr-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def client(redis_url: str, queue: str) -> Iterator[Celery]:
    """A Celery app of our own that talks to Redis (portal's app stays eager)."""
    app = Celery("odr-test-client")
    configure(app, Settings(broker_url=redis_url, result_backend=redis_url))
    yield app
    try:
        # Leave nothing behind in Redis: the queue and its exchange binding.
        with app.connection_for_write() as conn:
            leftover = Queue(queue, Exchange(queue), routing_key=queue).bind(conn.default_channel)
            leftover.declare()
            leftover.delete()
    finally:
        app.close()


@pytest.fixture
def worker(
    redis_url: str, queue: str, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    log_path = tmp_path / "worker.log"
    env = dict(os.environ)
    env.update({
        "ODR_BROKER_URL": redis_url,
        "ODR_RESULT_BACKEND": redis_url,
        "ODR_DATABASE_URL": os.environ["ODR_DATABASE_URL"],
        "ODR_SECRET_KEY": os.environ["ODR_SECRET_KEY"],
        "ODR_ENV": "test",
    })
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal.worker:celery_app", "worker",
             "--pool=solo", "--concurrency=1", "-Q", queue, "--without-heartbeat",
             "--without-gossip", "--without-mingle", "-l", "info"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_worker_runs_notification_task_from_redis(
    db: Session, monkeypatch: pytest.MonkeyPatch, client: Celery, queue: str,
    worker: tuple[subprocess.Popen[bytes], Path],
) -> None:
    proc, log_path = worker
    # Record the event with the in-process (eager) send switched off: the worker must do it.
    scheduled: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr(cases, "send_after_commit",
                        lambda _s, task, *args: scheduled.append((task.name, args)))
    body = BodyFactory()
    applicant, respondent = UserFactory(), UserFactory()
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id)
    case = CaseFactory(applicant=applicant, body_id=body.id, area_id=body.area_id)
    add_respondent(db, case, respondent)
    event = cases.transition(db, case=case, trigger=Trigger.SUBMIT, actor=applicant)
    db.commit()
    assert scheduled == [(TASK, (event.id,))]
    assert db.execute(select(Notification)).first() is None

    result = client.send_task(TASK, args=[event.id], queue=queue)
    deadline = time.monotonic() + WAIT_SECONDS
    while not result.ready():
        if proc.poll() is not None:
            pytest.fail(f"worker exited ({proc.returncode}):\n{log_path.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no result in {WAIT_SECONDS}s; worker log:\n{log_path.read_text()}")
        time.sleep(0.2)
    assert result.successful(), f"{result.result!r}\n{log_path.read_text()}"
    assert result.get(timeout=5) == 2

    db.commit()  # end the read transaction: see what the worker committed
    rows = db.execute(
        select(Notification).where(Notification.event_id == event.id)).scalars().all()
    assert sorted(n.user_id for n in rows) == sorted([respondent.id, boss.id])
    assert {n.link for n in rows} == {f"/cases/{case.number}"}

    # A redelivery (acks_late) is harmless: the task is idempotent.
    again = client.send_task(TASK, args=[event.id], queue=queue)
    assert again.get(timeout=WAIT_SECONDS) == 0
    result.forget()
    again.forget()
