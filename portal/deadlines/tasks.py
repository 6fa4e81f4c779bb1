from portal.db import session_scope
from portal.deadlines import expiry
from portal.worker import celery_app


# Thin and idempotent: takes no arguments, and a deadline handled once is closed.
@celery_app.task(name="deadlines.scan")
def scan() -> int:
    with session_scope() as session:
        return expiry.scan(session)
