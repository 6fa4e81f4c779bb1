"""The outer layers around the whole application, CSRF check included.

Outermost first: the request id, access log and metrics see every answer (a refused body
or a failed CSRF check too); the security headers go on every response; a kept page is
served before anything inside works it out again; the body limit wraps ``receive`` before
anything, the CSRF check included, reads the body.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from portal.config import Settings
from portal.web import metrics
from portal.web.body_limit import BodySizeLimitMiddleware
from portal.web.page_replay import PageReplay
from portal.web.request_log import RequestContextMiddleware
from portal.web.security_headers import SecurityHeadersMiddleware


class HardenedApp:
    """The wrapped stack; attributes (``app.state``) still reach the Starlette app inside,
    as they did through asgi-csrf's ``functools.wraps``."""

    def __init__(self, stack: ASGIApp, inner: ASGIApp) -> None:
        self._stack = stack
        self._inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._stack(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # our own, not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self._inner, name)


def harden(app: ASGIApp, settings: Settings) -> HardenedApp:
    metrics.watch_celery()
    stack: ASGIApp = BodySizeLimitMiddleware(app, max_bytes=settings.request_max_bytes)
    stack = PageReplay(stack)
    stack = SecurityHeadersMiddleware(stack, hsts=settings.production)
    return HardenedApp(RequestContextMiddleware(stack), app)
