from celery import Task

from portal.casefile import jobs
from portal.worker import celery_app, redelivered


# Thin and idempotent: the job is claimed once, so a redelivered task does nothing.
@celery_app.task(name="casefile.build_dossier", bind=True)
def build_dossier(self: Task, case_id: int, job_id: int) -> str:
    status = jobs.run(job_id=job_id, case_id=case_id, redelivered=redelivered(self))
    return status.value if status else "skipped"
