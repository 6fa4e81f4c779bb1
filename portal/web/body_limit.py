"""Pure ASGI middleware: one size limit for every request body, uploads excepted.

Both what a client announces (Content-Length) and what it actually streams are counted, so
a chunked body cannot slip past. The upload routes below are the only exceptions: their
handlers stream the body into storage and enforce their own, larger limits part by part.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal import i18n
from portal.web.cookies import request_cookies
from portal.web.middleware import LANG_COOKIE

# The one list of routes that enforce their own body limits while streaming.
UPLOAD_ROUTES: tuple[str, ...] = (
    "/cases/{number}/evidence",  # portal.web.views.evidence: per file, per case, file count
    "/api/v1/cases/{number}/evidence",  # portal.web.api.workflow: the same evidence limits
    "/admin/mediators/{user_id:id}/photo",  # portal.web.views.photos: MAX_PHOTO_BYTES
    "/verify",  # portal.web.views.verify: ODR_VERIFY_MAX_BYTES for the PDF checked
    # The embedded court receiver (portal.web.court_mount): its max_package_bytes.
    "/court/api/v1/filings",
)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once the body passes the limit; views see it as a 413."""

    def __init__(self) -> None:
        super().__init__(413)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _may_have_body(scope: Scope) -> bool:
    # HTTP/1.x: no Content-Length and no Transfer-Encoding means no body at all (RFC 9112
    # 6.3), so most GETs need no counting. HTTP/2 may stream a body without either.
    if scope.get("http_version", "1.1") not in ("1.0", "1.1"):
        return True
    for key, value in scope.get("headers", ()):
        if key == b"transfer-encoding" or (key == b"content-length" and value.strip() != b"0"):
            return True
    return False


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int,
                 exempt: tuple[str, ...] = UPLOAD_ROUTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt: list[re.Pattern[str]] = [compile_path(path)[0] for path in exempt]

    def _is_exempt(self, path: str) -> bool:
        return any(pattern.match(path) for pattern in self.exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _may_have_body(scope) \
                or self._is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_bytes:
            await refuse(scope, send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            # Raised where no view catches it (the CSRF check reads form bodies first).
            if started:
                raise
            await refuse(scope, send)


async def refuse(scope: Scope, send: Send) -> None:
    """The 413 error page (or JSON for the API), in the visitor's language."""
    from portal.web.app import http_error  # here: portal.web.app builds this middleware

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    token = i18n.current_locale.set(i18n.negotiate(request_cookies(scope).get(LANG_COOKIE)))
    try:
        response = await http_error(Request(scope), BodyTooLarge())
    finally:
        i18n.current_locale.reset(token)
    response.headers["Connection"] = "close"
    await response(scope, no_body, send)
