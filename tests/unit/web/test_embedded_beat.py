import asyncio
import sys
from typing import Any

import pytest

from portal.web import embedded_beat
from portal.worker import celery_app


def test_runs_each_beat_task_on_its_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    class Fake:
        def __init__(self, name: str) -> None:
            self.name = name

        def apply(self) -> Any:
            ran.append(self.name)

    monkeypatch.setattr(embedded_beat, "BEAT_SCHEDULE",
                        {"x": {"task": "deadlines.scan", "schedule": 300.0}})
    monkeypatch.setitem(celery_app.tasks, "deadlines.scan", Fake("deadlines.scan"))

    async def scenario() -> None:
        beat = embedded_beat.EmbeddedBeat()
        beat.start(scale=0.0001)  # 300 s become 30 ms
        await asyncio.sleep(0.2)
        await beat.stop()
        count = len(ran)
        await asyncio.sleep(0.1)
        assert len(ran) == count  # stopped means stopped

    asyncio.run(scenario())
    assert ran and set(ran) == {"deadlines.scan"}


def test_every_scheduled_task_is_registered_once_started() -> None:
    """The web process imports no task module by itself; the beat must, or it finds none."""
    from portal.worker import BEAT_SCHEDULE, TASK_MODULES

    async def scenario() -> None:
        beat = embedded_beat.EmbeddedBeat()
        beat.start(scale=1000.0)  # nothing runs during the test
        await beat.stop()

    asyncio.run(scenario())
    names = {str(entry["task"]) for entry in BEAT_SCHEDULE.values()}
    assert {"deadlines.scan", "dispatch.scan"} <= names
    assert set(TASK_MODULES) <= set(sys.modules)
    assert "dispatch.scan" in celery_app.tasks
