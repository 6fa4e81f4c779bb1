"""Celery tasks of the analytics domain: thin wrappers tests can call directly."""

from __future__ import annotations

import time

from portal.analytics import aggregates, scan
from portal.db import session_scope
from portal.worker import celery_app

# One run catches up batch by batch, each committed, for at most this long (a first scan
# of a large history takes several runs; the next run continues where this one stopped).
SCAN_BUDGET_SECONDS = 120.0


@celery_app.task(name="analytics.scan_alerts")
def scan_alerts() -> int:
    """Idempotent: a finding updates the open alert on its subject instead of a new one."""
    deadline = time.monotonic() + SCAN_BUDGET_SECONDS
    done = 0
    while True:
        with session_scope() as session:
            result = scan.scan(session)
        done += result.cases
        if not result.more or time.monotonic() > deadline:
            return done


@celery_app.task(name="analytics.aggregate")
def aggregate() -> int:
    """Idempotent: recounts whole days (those touched since the last run; all at first)."""
    with session_scope() as session:
        return aggregates.refresh(session).days
