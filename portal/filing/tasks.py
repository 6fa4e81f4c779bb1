"""Celery tasks of court filing: thin, idempotent, and the functions tests call."""

from __future__ import annotations

from dataclasses import asdict

from celery import Task

# Imported with the task, not on first use through portal.casefile.hooks: importing it
# registers Session listeners, which must not happen while an eager delivery runs inside
# a Session's after_transaction_end (SQLAlchemy refuses a listener list changed mid-call).
import portal.agreements.services  # noqa: F401
from portal.filing import delivery
from portal.filing import scan as scanning
from portal.worker import celery_app, redelivered


# A redelivered task finds the filing claimed or delivered and does nothing.
@celery_app.task(name="filing.deliver", acks_late=True, bind=True)
def deliver(self: Task, filing_id: int) -> str:
    status = delivery.deliver(filing_id, redelivered=redelivered(self))
    return status.value if status else "skipped"


@celery_app.task(name="filing.scan")
def scan() -> dict[str, int]:
    return asdict(scanning.scan(lambda filing_id: deliver.delay(filing_id)))
