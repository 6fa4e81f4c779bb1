"""Pure ASGI middleware: answers a GET with a kept page before the stack works it out again.

A page is kept when its view is marked ``cached_page`` and agreed to it for this request
(portal/web/page_cache.py says when). The key is everything such a page may depend on that
the request carries: address, host and scheme (links, the Content-Security-Policy), cookies
(the login, the language, the CSRF token the forms carry) and the Authorization header. The
same cookies and headers would make the layers inside (CSRF check, flash session, login,
locale, router, view) come to the same answer again while the database has not changed, so
this sits outside them: a kept page costs a dictionary lookup and the change stamp instead
of the whole stack (bench/web.py: from about 0.18 of a bare Starlette page's throughput,
with the pages kept behind those layers, to about 0.4).

Outside it stay what every answer must get afresh: the request id, the access log and
metrics (RequestContextMiddleware) and the security headers. Readers arriving while the
same page is being built again under the stamp they read wait for that build.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.config import get_settings
from portal.web import metrics
from portal.web.page_cache import (
    HIT,
    MISS,
    OFFER,
    SHARED,
    SKIP,
    STAMP,
    Offer,
    Page,
    enabled,
    pages,
    read_stamp,
)

Key = tuple[object, ...]


@dataclass(frozen=True)
class _Flight:
    """A GET being answered now; its view's offer says whether (and under which stamp) it
    is building a page that others asking the same may wait for."""

    offers: list[Offer | None]
    done: asyncio.Future[Page | None]

    def building(self, stamp: str | None) -> bool:
        offer = self.offers[-1] if self.offers else None
        return offer is not None and stamp == offer.stamp


# The GETs being answered now, by event loop (tests run several) and key.
_building: dict[tuple[asyncio.AbstractEventLoop, Key], _Flight] = {}


def request_key(scope: Scope) -> Key:
    host = authorization = b""
    cookies: list[bytes] = []  # HTTP/2 clients may split the cookies over several headers
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookies.append(value)
        elif name == b"host":
            host = value
        elif name == b"authorization":
            authorization = value
    return (scope["path"], scope.get("query_string", b""), scope.get("scheme"), host,
            b"; ".join(cookies), authorization)


class PageReplay:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not enabled():
            await self.app(scope, receive, send)
            return
        key, loop = request_key(scope), asyncio.get_running_loop()
        kept, flight = pages.get(key), _building.get((loop, key))
        if kept is not None or (flight is not None and flight.offers):
            # This address is a kept page (or is being built as one): is it still current?
            scope[STAMP] = stamp = await read_stamp()
            if kept is not None and kept.fresh(stamp, time.time()):
                HIT.inc()
                await _replay(scope, kept, send)
                return
            # The same page being built under the same stamp (a reader's several tabs, a
            # burst of reloads once it expired): its result is as current as building it
            # again would be.
            flight = _building.get((loop, key))
            if flight is not None and flight.building(stamp):
                shared = await asyncio.shield(flight.done)
                if shared is not None:
                    SHARED.inc()
                    await _replay(scope, shared, send)
                    return
        mine = _building[(loop, key)] = _Flight([], loop.create_future())
        page = None
        try:
            page = await self._build(scope, receive, send, key, mine.offers)
        finally:
            mine.done.set_result(page)
            if _building.get((loop, key)) is mine:
                del _building[(loop, key)]

    async def _build(self, scope: Scope, receive: Receive, send: Send, key: Key,
                     offers: list[Offer | None]) -> Page | None:
        scope[OFFER] = offers
        start: Message | None = None
        body: list[Message] = []

        async def keeping_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                # A copy: the layers outside add their headers to the message itself.
                start = {**message, "headers": list(message.get("headers", ()))}
            elif message["type"] == "http.response.body":
                body.append(message)
            await send(message)

        await self.app(scope, receive, keeping_send)
        if not offers:  # not a cacheable page
            return None
        page = _keepable(offers[-1], start, body, scope, key)
        if page is not None and pages.getsizeof(page) <= pages.maxsize:
            pages[key] = page
            MISS.inc()
            return page
        # Declined by the view, not a complete 200, sets a cookie, or larger than the whole
        # cache (ODR_PAGE_CACHE_BYTES=0, say): served, not kept.
        SKIP.inc()
        return None


def _keepable(offer: Offer | None, start: Message | None, body: list[Message],
              scope: Scope, key: Key) -> Page | None:
    if offer is None or start is None or start["status"] != 200 or len(body) != 1 \
            or body[0].get("more_body", False) \
            or any(name == b"set-cookie" for name, _ in start["headers"]):
        return None
    # The page is as old as the stamp read before it was built.
    until = min(offer.at + get_settings().page_cache_seconds, offer.until.timestamp())
    holder = scope.get(metrics.MATCHED_ROUTE)
    content = bytes(body[0].get("body", b""))
    headers: list[tuple[bytes, bytes]] = start["headers"]
    size = len(content) + sum(len(k) + len(v) for k, v in headers) \
        + sum(len(part) for part in key if isinstance(part, bytes)) + 300
    return Page(offer.stamp, offer.at, until, headers, content,
                holder[-1] if holder else None, size)


async def _replay(scope: Scope, page: Page, send: Send) -> None:
    holder = scope.get(metrics.MATCHED_ROUTE)
    if isinstance(holder, list) and page.route is not None:
        holder.append(page.route)
    await send({"type": "http.response.start", "status": 200, "headers": list(page.headers)})
    await send({"type": "http.response.body", "body": page.body})
