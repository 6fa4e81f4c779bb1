"""Reuse what a logged-in request already worked out, while the database says nothing changed.

Two caches per process, both checked against the database's change stamp
(portal/db/stamp.py), read once at the start of each logged-in request before anything
else is read:

* logins: the user an access token stands for (its login session and the user row), so
  a request need not ask the database who is asking;
* pages: the whole answer to a GET of a page whose view is marked ``cached_page``, kept by
  ``PageReplay`` (portal/web/page_replay.py) under everything the request carries that a
  page can depend on: the address, the host and scheme, the cookies (who is asking, in
  which language, with which CSRF token) and the Authorization header.

An entry is used only while the stamp is still the one read before it was built, that is,
while nobody has committed anything since; a login also only until its token or session
expires, and a page also only for ``page_cache_seconds``, which bounds how late something
that depends on the clock alone (a deadline passing) shows. Nothing is kept for a response
that sets a cookie (a flash message shown, a token rotated or made) or for anything but a
complete 200.
"""

from __future__ import annotations

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

from portal.config import get_settings
from portal.db.session import get_engine
from portal.db.stamp import stamp_for
from portal.db.types import utcnow
from portal.web import shared_read
from portal.web.deps import CurrentUser, current_user

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]
STAMP = "odr.stamp"  # the scope key the stamp read for this request is kept under
LOGIN_UNTIL = "odr.login_until"  # and until when its login holds (AuthMiddleware)
# Where a cacheable view leaves its offer (or None, declining) for PageReplay: a list, shared
# by the copies of the scope that asgi-csrf passes inwards.
OFFER = "odr.page_offer"
MAX_LOGINS = 10_000
PAGES = Counter("odr_page_cache_total", "Cacheable page requests, by outcome: hit, shared "
                "(waited for the same page being built), miss, skip.", ["outcome"])
# Labelled once: ``labels`` on every request was a noticeable part of a kept page's time.
HIT, SHARED, MISS, SKIP = (PAGES.labels(outcome) for outcome in ("hit", "shared", "miss", "skip"))


@dataclass(frozen=True)
class _Login:
    stamp: str
    user: CurrentUser
    until: dt.datetime


@dataclass(frozen=True)
class Offer:
    """A view's consent to keep its answer: built from ``stamp`` on, at ``at`` (time.time()),
    for a login that holds until ``until``."""

    stamp: str
    at: float
    until: dt.datetime


@dataclass(frozen=True)
class Page:
    """A kept answer: its headers as the app inside PageReplay sent them, and its body."""

    stamp: str
    at: float  # time.time() when its view began, just after the stamp was read
    until: float  # and until when it may be served
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: object  # the matched route, for the access log and metrics
    size: int  # what it holds, its key (the request's cookies) included, in bytes

    def fresh(self, stamp: str | None, now: float) -> bool:
        return stamp == self.stamp and self.at <= now < self.until


_logins: LRUCache[str, _Login] = LRUCache(maxsize=MAX_LOGINS)
pages: LRUCache[tuple[object, ...], Page] = LRUCache(
    maxsize=max(1, get_settings().page_cache_bytes),
    getsizeof=lambda page: page.size)


def clear() -> None:
    _logins.clear()
    pages.clear()


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


def known_login(token: str, stamp: str | None) -> _Login | None:
    entry = _logins.get(token) if stamp is not None else None
    if entry is None or entry.stamp != stamp or utcnow() >= entry.until:
        return None
    return entry


def remember_login(token: str, stamp: str | None, user: CurrentUser,
                   until: dt.datetime) -> None:
    if stamp is not None:
        _logins[token] = _Login(stamp, user, until)


def _offer(request: Request) -> Offer | None:
    scope = request.scope
    stamp, until = scope.get(STAMP), scope.get(LOGIN_UNTIL)
    if request.method != "GET" or stamp is None or until is None \
            or current_user(request) is None:
        return None
    return Offer(stamp, time.time(), until)


def cached_page(view: Endpoint) -> Endpoint:
    """Let PageReplay serve ``view``'s answer again while nothing has been committed since.

    Only for views whose page depends on nothing but the database, the clock, the address
    and who asks in which language: PageReplay keys a page on the address, host, scheme,
    cookies and Authorization header, and no other header.
    """

    @wraps(view)
    async def wrapper(request: Request) -> Response:
        holder = request.scope.get(OFFER)
        if isinstance(holder, list):  # PageReplay counts the outcome once it has the answer
            holder.append(_offer(request))
        else:
            SKIP.inc()
        return await view(request)

    return wrapper
