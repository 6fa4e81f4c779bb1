from __future__ import annotations

import pytest

from rtc.channel import ChannelClosed, RateLimiter
from rtc.memory import channel_pair

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.allow() for _ in range(4)] == [True, True, True, False]
    clock.now = 0.5
    assert [limiter.allow() for _ in range(2)] == [True, False]
    clock.now = 100.0
    assert sum(limiter.allow() for _ in range(10)) == 3  # refill is capped at the burst


async def test_memory_channel_round_trips_json_and_closes_both_ends() -> None:
    server, client = channel_pair()
    await client.send({"type": "ping", "n": (1, 2)})
    assert await server.receive() == {"type": "ping", "n": [1, 2]}
    await server.send({"type": "pong"})
    await server.close(4400, "bad")
    assert await client.receive() == {"type": "pong"}  # sent before the close
    with pytest.raises(ChannelClosed):
        await client.receive()
    with pytest.raises(ChannelClosed):
        await server.receive()
    with pytest.raises(ChannelClosed):
        await client.send({"type": "ping"})
    assert (client.close_code, client.close_reason) == (4400, "bad")
    await client.close(1000, "again")  # idempotent
    assert server.close_code == 4400
