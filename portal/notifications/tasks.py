from portal.db import session_scope
from portal.notifications import services
from portal.worker import celery_app


@celery_app.task(name="notifications.notify_case_event", autoretry_for=(Exception,),
                 retry_backoff=True, max_retries=5)
def notify_case_event(event_id: int) -> int:
    with session_scope() as session:
        return services.notify_case_event(session, event_id)
