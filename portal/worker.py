"""The Celery app. Eager (in-process) when no broker is configured.

Tasks are sent only after the surrounding transaction commits: a task that runs before
its data is visible would act on nothing, and one sent for a rolled-back change would act
on something that never happened.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from portal.config import Settings, get_settings
from portal.db.transactions import inside

log = logging.getLogger(__name__)

_PENDING = "odr_pending_tasks"
_COMMITTED = "odr_committed"
TASK_MODULES = ["portal.notifications.tasks", "portal.deadlines.tasks", "portal.dispatch.tasks",
                "portal.mediation.tasks", "portal.casefile.tasks", "portal.filing.tasks",
                "portal.analytics.tasks"]
# Periodic tasks, sent by `celery -A portal.worker beat` when a broker is configured.
BEAT_SCHEDULE = {
    "deadlines-scan": {"task": "deadlines.scan", "schedule": 300.0},
    "dispatch-scan": {"task": "dispatch.scan", "schedule": 300.0},
    "mediation-remind": {"task": "mediation.remind", "schedule": 60.0},
    # The dashboard's daily pre-aggregates: the days touched since the last run.
    "analytics-aggregate": {"task": "analytics.aggregate", "schedule": 300.0},
    # Due and retried court deliveries, and the court's decisions on delivered filings.
    "filing-scan": {"task": "filing.scan", "schedule": 60.0},
    # Early-warning rules on what changed since the last run; hotspots once an hour.
    "analytics-scan-alerts": {"task": "analytics.scan_alerts", "schedule": 300.0},
}


def configure(app: Celery, settings: Settings) -> None:
    app.conf.update(
        broker_url=settings.broker_url or "memory://",
        result_backend=settings.result_backend or None,
        task_always_eager=settings.eager,
        task_eager_propagates=settings.eager_propagates,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        timezone="Asia/Shanghai",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": settings.broker_visibility_timeout},
        include=TASK_MODULES,
        beat_schedule=BEAT_SCHEDULE,
    )


def make_celery() -> Celery:
    app = Celery("portal")
    configure(app, get_settings())
    return app


celery_app = make_celery()


def send_after_commit(session: Session, task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task.delay(*args, **kwargs)`` to run once ``session`` commits.

    Only the outermost commit counts: releasing a SAVEPOINT makes nothing visible to a
    worker. A rollback drops the tasks queued in what it rolled back (a SAVEPOINT's
    rollback drops only those queued inside it).
    """
    session.info.setdefault(_PENDING, []).append(
        (session.get_nested_transaction(), task, args, kwargs))


@event.listens_for(Session, "after_commit")
def _mark_committed(session: Session) -> None:
    # Also fired when a SAVEPOINT is released; only the outermost commit is real.
    if not session.in_nested_transaction():
        session.info[_COMMITTED] = True


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    # The outermost rollback drops everything in _send_or_drop; here only SAVEPOINTs.
    pending = session.info.get(_PENDING)
    if pending and previous_transaction.nested:
        session.info[_PENDING] = [p for p in pending
                                  if not inside(p[0], previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _send_or_drop(session: Session, transaction: SessionTransaction) -> None:
    # Runs once the outermost transaction is closed, so an error raised from here leaves
    # the session usable (raised from "after_commit" it would be stuck in 'committed').
    if transaction.parent is not None:
        return
    pending = session.info.pop(_PENDING, [])
    if not session.info.pop(_COMMITTED, False):
        return  # rolled back or closed: the work never happened
    failed: Exception | None = None
    for _savepoint, task, args, kwargs in pending:
        try:
            task.delay(*args, **kwargs)
        except Exception as exc:
            log.exception("could not send task %s", getattr(task, "name", task))
            failed = failed or exc
    # The data is already committed: failing the request now would tell the user their
    # change was lost when it was saved. Tests (eager_propagates) want to see the error.
    if failed is not None and get_settings().eager_propagates:
        raise failed


def redelivered(task: Any) -> bool:
    """Whether the broker handed this task out before without an acknowledgement (acks
    late: the worker running it died). Eager tasks are never redelivered."""
    info = getattr(task.request, "delivery_info", None) or {}
    return bool(info.get("redelivered"))
