"""One round trip for the change stamp serves every request waiting for it at that moment.

On PostgreSQL the stamp is a query, made in a worker thread. Under load many requests want
it at once; instead of queueing one round trip each, they share a read, but only one that
starts after they arrived: a request must never get a stamp older than itself, or it could
be served a page from before a commit it has already seen (its own, say).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)


class SharedRead:
    def __init__(self, read: Callable[[], str | None]) -> None:
        self._read = read
        # The read the next arrivals join; it has not started yet.
        self._next: asyncio.Future[str | None] | None = None
        self._runner: asyncio.Task[None] | None = None

    async def __call__(self) -> str | None:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            if self._runner is None:
                self._runner = asyncio.get_running_loop().create_task(self._run())
        # Shielded: a request that goes away does not cancel the others' read.
        return await asyncio.shield(self._next)

    async def _run(self) -> None:
        try:
            while self._next is not None:
                # Whoever arrives from here on waits for the following read.
                future, self._next = self._next, None
                future.set_result(await run_in_threadpool(self._safe_read))
        finally:
            self._runner = None

    def _safe_read(self) -> str | None:
        try:
            return self._read()
        except Exception:  # served uncached; the request's own queries will say what is wrong
            log.warning("could not read the database change stamp", exc_info=True)
            return None


# One per event loop (tests run several) and per stamp (the engine may be replaced).
_shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                   tuple[object, SharedRead]] = weakref.WeakKeyDictionary()


def shared(key: object, read: Callable[[], str | None]) -> SharedRead:
    loop = asyncio.get_running_loop()
    found = _shared.get(loop)
    if found is None or found[0] is not key:
        found = _shared[loop] = (key, SharedRead(read))
    return found[1]
