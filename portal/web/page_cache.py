"""Reuse what a logged-in request already worked out, while the database says nothing changed.

Two caches per process, both checked against the database's change stamp
(portal/db/stamp.py), which AuthMiddleware reads once at the start of each logged-in
request, before anything else is read:

* logins: the user an access token stands for (its login session and the user row), so
  a request need not ask the database who is asking;
* pages: the HTML of a page, opt-in per view with ``cached_page``, for one user, one login
  session, one language, one address and one CSRF token.

An entry is used only while the stamp is still the one read before it was built, that is,
while nobody has committed anything since; a login also only until its token or session
expires, and a page only for ``page_cache_seconds``, which bounds how late something that
depends on the clock alone (a deadline passing) shows. Nothing is kept for a request with
flash messages waiting, for a response that sets a cookie, or for anything but a 200.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps

from cachetools import LRUCache
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from portal import i18n
from portal.config import get_settings
from portal.db.session import get_engine
from portal.db.stamp import stamp_for
from portal.db.types import utcnow
from portal.web import shared_read
from portal.web.cookies import request_cookies
from portal.web.deps import CurrentUser, current_user

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]
STAMP = "odr.stamp"  # the scope key AuthMiddleware puts the stamp under
CSRF_COOKIE = "odr_csrf"
MAX_LOGINS = 10_000
PAGES = Counter("odr_page_cache_total", "Cacheable page requests, by outcome: hit, shared "
                "(waited for the same page being built), miss, skip.", ["outcome"])


@dataclass(frozen=True)
class _Login:
    stamp: str
    user: CurrentUser
    until: dt.datetime


@dataclass(frozen=True)
class _Page:
    stamp: str
    at: float
    body: bytes
    headers: list[tuple[bytes, bytes]]


_logins: LRUCache[str, _Login] = LRUCache(maxsize=MAX_LOGINS)
_pages: LRUCache[tuple[object, ...], _Page] = LRUCache(
    maxsize=max(1, get_settings().page_cache_bytes),
    getsizeof=lambda page: len(page.body) + 200)


def clear() -> None:
    _logins.clear()
    _pages.clear()


def enabled() -> bool:
    return get_settings().page_cache_seconds > 0


async def read_stamp() -> str | None:
    """The database's change stamp now; None when there is none or it cannot be read."""
    if not enabled():
        return None
    stamp = stamp_for(get_engine())
    if stamp is None:
        return None
    if stamp.blocking:
        return await shared_read.shared(stamp, stamp.read)()
    try:
        return stamp.read()
    except Exception:  # the request goes on uncached; its own queries will say what is wrong
        log.warning("could not read the database change stamp", exc_info=True)
        return None


def known_login(token: str, stamp: str | None) -> CurrentUser | None:
    entry = _logins.get(token) if stamp is not None else None
    if entry is None or entry.stamp != stamp or utcnow() >= entry.until:
        return None
    return entry.user


def remember_login(token: str, stamp: str | None, user: CurrentUser,
                   until: dt.datetime) -> None:
    if stamp is not None:
        _logins[token] = _Login(stamp, user, until)


def _page_key(request: Request) -> tuple[object, ...] | None:
    scope = request.scope
    stamp, user = scope.get(STAMP), current_user(request)
    if request.method != "GET" or stamp is None or user is None \
            or scope.get("session", {}).get("_flashes") or not _has_csrf_cookie(scope):
        return None
    # The token the page's forms carry, asked for as the templates ask (asgi-csrf then
    # sends Vary: Cookie, as it did for the page when it was built).
    getter = scope.get("csrftoken")
    token = getter() if getter else None
    if not token:
        return None
    return (user.id, user.session_id, i18n.current_locale.get(), scope["path"],
            scope.get("query_string", b""), token)


def _has_csrf_cookie(scope: Scope) -> bool:
    # Without one, asgi-csrf makes a new token and sets it as a cookie on the response.
    return bool(request_cookies(scope).get(CSRF_COOKIE))


def cached_page(view: Endpoint) -> Endpoint:
    """Serve ``view``'s page again while nothing has been committed since it was built."""

    @wraps(view)
    async def wrapper(request: Request) -> Response:
        key = _page_key(request)
        if key is None:
            PAGES.labels("skip").inc()
            return await view(request)
        stamp, now = request.scope[STAMP], time.time()
        entry = _pages.get(key)
        if entry is not None and entry.stamp == stamp \
                and entry.at <= now < entry.at + get_settings().page_cache_seconds:
            PAGES.labels("hit").inc()
            return _replay(entry)
        # The same page being built under the same stamp (a reader's several tabs, a burst
        # of reloads when it expires): its result is as current as building it again.
        flight = (asyncio.get_running_loop(), key)
        building = _building.get(flight)
        if building is not None and building[0] == stamp:
            shared = await asyncio.shield(building[1])
            if shared is not None:
                PAGES.labels("shared").inc()
                return _replay(shared)
        PAGES.labels("miss").inc()
        done: asyncio.Future[_Page | None] = asyncio.get_running_loop().create_future()
        _building[flight] = (stamp, done)
        page = None
        try:
            response = await view(request)
            body = getattr(response, "body", None)  # a streamed response has none
            if response.status_code == 200 and isinstance(body, bytes) \
                    and "set-cookie" not in response.headers:
                page = _keep(key, _Page(stamp, now, body, list(response.raw_headers)))
            return response
        finally:
            done.set_result(page)
            if _building.get(flight, (None, None))[1] is done:
                del _building[flight]

    return wrapper


def _keep(key: tuple[object, ...], page: _Page) -> _Page | None:
    # A page larger than the whole cache (ODR_PAGE_CACHE_BYTES=0, say) is served, not kept.
    if _pages.getsizeof(page) > _pages.maxsize:
        return None
    _pages[key] = page
    return page


def _replay(page: _Page) -> Response:
    response = Response(page.body, 200)
    response.raw_headers = list(page.headers)
    return response


# Pages being built now, by event loop (tests run several) and page key.
_building: dict[tuple[asyncio.AbstractEventLoop, tuple[object, ...]],
                tuple[str, asyncio.Future[_Page | None]]] = {}
