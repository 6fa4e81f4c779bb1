from portal.db import session_scope
from portal.mediation import notices, reminders
from portal.mediation.models import MediationSession, RescheduleRequest
from portal.worker import celery_app


@celery_app.task(name="mediation.notify_session", autoretry_for=(Exception,),
                 retry_backoff=True, max_retries=5)
def notify_session(session_id: int, kind: str) -> int:
    with session_scope() as session:
        meeting = session.get(MediationSession, session_id)
        return notices.send(session, meeting, kind) if meeting is not None else 0


@celery_app.task(name="mediation.notify_request", autoretry_for=(Exception,),
                 retry_backoff=True, max_retries=5)
def notify_request(request_id: int, kind: str) -> None:
    with session_scope() as session:
        request = session.get(RescheduleRequest, request_id)
        if request is None:
            return
        if kind == "asked":
            notices.request_made(session, request)
        elif kind == "declined":
            notices.request_declined(session, request)


# Every minute (BEAT_SCHEDULE); thin and idempotent like deadlines.scan.
@celery_app.task(name="mediation.remind")
def remind() -> int:
    with session_scope() as session:
        return reminders.remind(session)
