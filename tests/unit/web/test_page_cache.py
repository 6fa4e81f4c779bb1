"""The page cache's wrapper on its own: readers waiting for the same page share one build."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from portal.accounts.roles import Role
from portal.web import page_cache
from portal.web.deps import CurrentUser

READER = CurrentUser(id=7, name="张三", role=Role.PARTY, session_id="s1", body_id=None,
                     area_id=None, locale=None)


def _request(stamp: str, path: str = "/cases") -> Request:
    return Request({
        "type": "http", "method": "GET", "path": path, "query_string": b"",
        "headers": [(b"cookie", b"odr_csrf=token-1")],
        page_cache.STAMP: stamp, "odr.user": READER, "session": {},
        "csrftoken": lambda: "token-1",
    })


class SlowView:
    def __init__(self) -> None:
        self.builds = 0
        self.release = asyncio.Event()

    async def __call__(self, request: Request) -> Response:
        self.builds += 1
        number = self.builds
        await self.release.wait()
        return HTMLResponse(f"<p>build {number} at {request.scope[page_cache.STAMP]}</p>")


@pytest.fixture(autouse=True)
def _empty() -> None:
    page_cache.clear()


@pytest.mark.anyio
async def test_readers_arriving_during_a_build_under_the_same_stamp_share_it() -> None:
    view = SlowView()
    cached = page_cache.cached_page(view)
    first = asyncio.create_task(cached(_request("S1")))
    await asyncio.sleep(0.01)
    waiting = [asyncio.create_task(cached(_request("S1"))) for _ in range(5)]
    # Something was committed meanwhile: this reader must not get the page built before it.
    newer = asyncio.create_task(cached(_request("S2")))
    await asyncio.sleep(0.01)
    view.release.set()
    bodies = [bytes(r.body) for r in await asyncio.gather(first, *waiting)]
    assert set(bodies) == {b"<p>build 1 at S1</p>"}
    assert bytes((await newer).body) == b"<p>build 2 at S2</p>"
    assert view.builds == 2


@pytest.mark.anyio
async def test_a_build_that_is_not_kept_is_not_shared() -> None:
    builds = 0

    async def refused(request: Request) -> Response:
        nonlocal builds
        builds += 1
        await asyncio.sleep(0.01)
        return HTMLResponse("<p>try again</p>", status_code=400)

    cached = page_cache.cached_page(refused)
    answers = await asyncio.gather(*(cached(_request("S1")) for _ in range(3)))
    # Each reader got its own answer: an error page is neither kept nor handed on.
    assert [r.status_code for r in answers] == [400, 400, 400]
    assert builds == 3


@pytest.mark.anyio
async def test_a_page_larger_than_the_cache_is_served_and_not_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from cachetools import LRUCache

    # ODR_PAGE_CACHE_BYTES=0 leaves room for nothing.
    monkeypatch.setattr(page_cache, "_pages", LRUCache(maxsize=1, getsizeof=lambda p: 500))
    view = SlowView()
    view.release.set()
    cached = page_cache.cached_page(view)
    first, second = await cached(_request("S1")), await cached(_request("S1"))
    assert first.status_code == second.status_code == 200
    assert view.builds == 2 and len(page_cache._pages) == 0
