"""PageReplay with the real ``cached_page`` wrapper inside: what is kept, for whom, how long,
and readers waiting for the same page sharing one build."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import time_machine
from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from portal.accounts.roles import Role
from portal.web import metrics, page_cache, page_replay
from portal.web.deps import CurrentUser

READER = CurrentUser(id=7, name="张三", role=Role.PARTY, session_id="s1", body_id=None,
                     area_id=None, locale=None)
COOKIE = b"odr_access=token-1; odr_csrf=csrf-1"
View = Callable[[Request], Awaitable[Response]]
Answer = tuple[int, dict[bytes, bytes], bytes]


class Database:
    """The change stamp the replay and the login layer read."""

    def __init__(self) -> None:
        self.stamp = "S1"

    async def read(self) -> str | None:
        return self.stamp


class Site:
    """PageReplay around what AuthMiddleware and the router would do for one view."""

    def __init__(self, db: Database, view: View, login_until: dt.datetime | None = None) -> None:
        self.db = db
        self.view = view
        self.login_until = login_until or dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        self.app = page_replay.PageReplay(self._inner)

    async def _inner(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault(page_cache.STAMP, await self.db.read())
        scope[page_cache.LOGIN_UNTIL] = self.login_until
        scope["odr.user"] = READER
        scope[metrics.MATCHED_ROUTE].append("the matched route")  # as RouteRecorder does
        response = await self.view(Request(scope, receive))
        await response(scope, receive, send)

    async def get(self, path: str = "/cases", headers: list[tuple[bytes, bytes]] | None = None,
                  scheme: str = "http", query: bytes = b"") -> Answer:
        scope: dict[str, Any] = {
            "type": "http", "method": "GET", "path": path, "query_string": query,
            "scheme": scheme, "headers": headers if headers is not None else [
                (b"host", b"odr.example"), (b"cookie", COOKIE)],
            metrics.MATCHED_ROUTE: [],
        }
        sent: list[Message] = []
        requested = False

        async def receive() -> Message:
            nonlocal requested
            if requested:  # the client stays until it has the answer
                await asyncio.Event().wait()
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
        assert scope[metrics.MATCHED_ROUTE] == ["the matched route"]
        return start["status"], dict(start["headers"]), body


class Builds:
    """A cached page view counting its builds; ``release`` holds them until set."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.count = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, request: Request) -> Response:
        self.count += 1
        number = self.count
        await self.release.wait()
        return HTMLResponse(f"<p>build {number} at {request.scope[page_cache.STAMP]}</p>",
                            self.status)


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch) -> Database:
    database = Database()
    monkeypatch.setattr(page_replay, "read_stamp", database.read)
    page_cache.clear()
    return database


def _site(db: Database, status: int = 200, **kwargs: Any) -> tuple[Site, Builds]:
    builds = Builds(status)
    return Site(db, page_cache.cached_page(builds), **kwargs), builds


@pytest.mark.anyio
async def test_a_page_is_served_again_until_the_stamp_moves(db: Database) -> None:
    site, builds = _site(db)
    first = await site.get()
    assert first[0] == 200 and first[2] == b"<p>build 1 at S1</p>"
    assert await site.get() == first
    assert builds.count == 1
    db.stamp = "S2"  # something was committed
    assert (await site.get())[2] == b"<p>build 2 at S2</p>"
    assert builds.count == 2


@pytest.mark.anyio
async def test_readers_arriving_during_a_build_under_the_same_stamp_share_it(
        db: Database) -> None:
    site, builds = _site(db)
    builds.release.clear()
    first = asyncio.create_task(site.get())
    await asyncio.sleep(0.01)
    waiting = [asyncio.create_task(site.get()) for _ in range(5)]
    await asyncio.sleep(0.01)
    db.stamp = "S2"  # committed meanwhile: this reader must not get the page built before it
    newer = asyncio.create_task(site.get())
    await asyncio.sleep(0.01)
    builds.release.set()
    bodies = {body for _, _, body in await asyncio.gather(first, *waiting)}
    assert bodies == {b"<p>build 1 at S1</p>"}
    assert (await newer)[2] == b"<p>build 2 at S2</p>"
    assert builds.count == 2


@pytest.mark.anyio
async def test_a_build_that_is_not_kept_is_not_shared(db: Database) -> None:
    site, builds = _site(db, status=400)
    builds.release.clear()
    answers = [asyncio.create_task(site.get()) for _ in range(3)]
    await asyncio.sleep(0.01)
    builds.release.set()
    # Each reader got its own answer: an error page is neither kept nor handed on.
    assert [status for status, _, _ in await asyncio.gather(*answers)] == [400, 400, 400]
    assert builds.count == 3
    await site.get()
    assert builds.count == 4


@pytest.mark.anyio
async def test_the_same_address_of_a_page_not_kept_is_not_held_up(db: Database) -> None:
    # A stream (the notifications feed, say) must not make the reader's second tab wait.
    release = asyncio.Event()
    started = 0

    async def stream(request: Request) -> Response:
        nonlocal started
        started += 1

        async def parts() -> Any:
            await release.wait()
            yield b"event"

        return StreamingResponse(parts())

    site = Site(db, stream)
    tabs = [asyncio.create_task(site.get("/events")) for _ in range(2)]
    await asyncio.sleep(0.05)
    assert started == 2
    release.set()
    assert [body for _, _, body in await asyncio.gather(*tabs)] == [b"event", b"event"]


HEADERS = [(b"host", b"odr.example"), (b"cookie", COOKIE), (b"user-agent", b"browser")]


@pytest.mark.parametrize(("change", "kept"), [
    ({"headers": [*HEADERS[:2], (b"user-agent", b"other"), (b"referer", b"/x")]}, True),
    ({"headers": [HEADERS[0], (b"cookie", b"odr_access=token-2; odr_csrf=csrf-1")]}, False),
    ({"headers": [HEADERS[0], (b"cookie", COOKIE + b"; odr_lang=en")]}, False),
    ({"headers": [*HEADERS, (b"authorization", b"Bearer someone-else")]}, False),
    ({"headers": [(b"host", b"other.example"), HEADERS[1]]}, False),
    ({"scheme": "https"}, False),
    ({"query": b"page=2"}, False),
    ({"path": "/cases/FQ-1"}, False),
])
@pytest.mark.anyio
async def test_pages_are_kept_per_address_host_scheme_cookies_and_authorization(
        db: Database, change: dict[str, Any], kept: bool) -> None:
    site, builds = _site(db)
    await site.get(headers=HEADERS)
    await site.get(**{"headers": HEADERS} | change)
    assert builds.count == (1 if kept else 2)


@pytest.mark.anyio
async def test_answers_that_set_a_cookie_or_come_in_parts_are_not_kept(db: Database) -> None:
    async def sets_cookie(request: Request) -> Response:
        response = HTMLResponse("<p>flash shown</p>")
        response.set_cookie("odr_flash", "")
        return response

    async def in_parts(request: Request) -> Response:
        return StreamingResponse(iter([b"<p>", b"</p>"]), media_type="text/html")

    for view in (sets_cookie, in_parts):
        calls = 0

        async def counted(request: Request, view: View = view) -> Response:
            nonlocal calls
            calls += 1
            return await view(request)

        site = Site(db, page_cache.cached_page(counted))
        await site.get()
        await site.get()
        assert calls == 2, view.__name__


@pytest.mark.anyio
async def test_a_page_lasts_the_configured_seconds_at_most_and_never_past_its_login(
        db: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now, tick=False) as clock:
        site, builds = _site(db)
        await site.get()
        clock.shift(4.5)
        await site.get()
        assert builds.count == 1
        clock.shift(1)
        await site.get()
        assert builds.count == 2
        # A login ending two seconds from now takes its pages with it.
        short, short_builds = _site(db, login_until=now + dt.timedelta(seconds=7.5))
        await short.get("/other")
        clock.shift(1)
        await short.get("/other")
        assert short_builds.count == 1
        clock.shift(1)
        await short.get("/other")
        assert short_builds.count == 2


@pytest.mark.anyio
async def test_a_page_larger_than_the_cache_is_served_and_not_kept(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # ODR_PAGE_CACHE_BYTES=0 leaves room for nothing.
    monkeypatch.setattr(page_replay, "pages", LRUCache(maxsize=1, getsizeof=lambda p: 500))
    site, builds = _site(db)
    first, second = await site.get(), await site.get()
    assert first[0] == second[0] == 200
    assert builds.count == 2 and len(page_replay.pages) == 0


@pytest.mark.anyio
async def test_nothing_is_kept_when_the_stamp_cannot_be_read(db: Database,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    async def unreadable() -> None:
        return None

    monkeypatch.setattr(page_replay, "read_stamp", unreadable)
    site, builds = _site(db)
    site.db.stamp = None  # type: ignore[assignment]
    await site.get()
    await site.get()
    assert builds.count == 2
