"""Concurrent requests share a stamp read, but never one that started before they came."""

from __future__ import annotations

import asyncio
import threading

import pytest

from portal.web.shared_read import SharedRead, shared


class SlowCounter:
    """A read that blocks until released and returns how many reads have started."""

    def __init__(self) -> None:
        self.started = 0
        self.gates: list[threading.Event] = []
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.started += 1
            number = self.started
            gate = threading.Event()
            self.gates.append(gate)
        assert gate.wait(5)
        return f"stamp-{number}"

    async def wait_started(self, count: int) -> None:
        for _ in range(500):
            if self.started >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{count} reads never started")


@pytest.mark.anyio
async def test_requests_waiting_together_share_one_read() -> None:
    read = SlowCounter()
    shared_read = SharedRead(read)
    first = [asyncio.create_task(shared_read()) for _ in range(20)]
    await read.wait_started(1)
    # These came while the first read was running: they must not get its answer.
    later = [asyncio.create_task(shared_read()) for _ in range(20)]
    await asyncio.sleep(0.05)
    assert read.started == 1
    read.gates[0].set()
    assert set(await asyncio.gather(*first)) == {"stamp-1"}
    await read.wait_started(2)
    read.gates[1].set()
    assert set(await asyncio.gather(*later)) == {"stamp-2"}
    assert read.started == 2


@pytest.mark.anyio
async def test_a_failed_read_gives_none_and_the_next_one_is_tried_again() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("connection reset")
        return "stamp"

    shared_read = SharedRead(flaky)
    assert await shared_read() is None
    assert await shared_read() == "stamp"


@pytest.mark.anyio
async def test_a_request_that_goes_away_does_not_cancel_the_others() -> None:
    read = SlowCounter()
    shared_read = SharedRead(read)
    leaving, staying = asyncio.create_task(shared_read()), asyncio.create_task(shared_read())
    await read.wait_started(1)
    leaving.cancel()
    read.gates[0].set()
    assert await staying == "stamp-1"


@pytest.mark.anyio
async def test_one_shared_read_per_stamp() -> None:
    a, b = object(), object()
    assert shared(a, lambda: "x") is shared(a, lambda: "y")
    assert shared(b, lambda: "x") is not shared(a, lambda: "x")
