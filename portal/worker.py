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
from sqlalchemy.orm import Session

from portal.config import Settings, get_settings

log = logging.getLogger(__name__)

_PENDING = "odr_pending_tasks"
TASK_MODULES = ["portal.notifications.tasks"]


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
        include=TASK_MODULES,
    )


def make_celery() -> Celery:
    app = Celery("portal")
    configure(app, get_settings())
    return app


celery_app = make_celery()


def send_after_commit(session: Session, task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task.delay(*args, **kwargs)`` to run once ``session`` commits."""
    session.info.setdefault(_PENDING, []).append((task, args, kwargs))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    for task, args, kwargs in pending:
        try:
            task.delay(*args, **kwargs)
        except Exception:
            # The data is already committed: failing the request now would tell the
            # user their change was lost when it was saved.
            if get_settings().eager_propagates:
                raise
            log.exception("could not send task %s", getattr(task, "name", task))


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)
