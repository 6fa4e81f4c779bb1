"""The periodic tasks of Celery beat, run inside the web process in the embedded setup.

With a broker, `celery beat` sends these; without one (the eager default) nothing would,
and deadlines would never expire. Each task runs in a worker thread on its own interval.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from contextlib import suppress

from starlette.concurrency import run_in_threadpool

from portal.worker import BEAT_SCHEDULE, TASK_MODULES, celery_app

log = logging.getLogger(__name__)


async def _every(name: str, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await run_in_threadpool(celery_app.tasks[name].apply)
        except Exception:
            log.exception("periodic task %s failed; it runs again in %ss", name, seconds)


class EmbeddedBeat:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, scale: float = 1.0) -> None:
        # A worker imports these on start; the web process must too, or the tasks
        # (deadlines.scan, dispatch.scan) are not registered when their time comes.
        for module in TASK_MODULES:
            importlib.import_module(module)
        for entry in BEAT_SCHEDULE.values():
            seconds = float(entry["schedule"]) * scale  # type: ignore[arg-type]
            self._tasks.append(asyncio.create_task(_every(str(entry["task"]), seconds)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
