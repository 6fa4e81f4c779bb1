from portal.db import session_scope
from portal.dispatch import tracking
from portal.worker import celery_app


# Thin and idempotent: a reminder or flag goes out once, an escalated order has a new step.
@celery_app.task(name="dispatch.scan")
def scan() -> int:
    with session_scope() as session:
        return tracking.scan(session).total
