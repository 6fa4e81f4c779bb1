import asyncio
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
