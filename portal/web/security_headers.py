"""Pure ASGI middleware: the browser security headers on every HTTP response.

The templates carry no inline script, event handler attribute or style attribute
(tests/unit/web/test_security_headers.py keeps it so), so the policy needs no
'unsafe-inline' anywhere. A view that sets a header itself (the video room's stricter
Referrer-Policy) keeps its own value.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# What a Host header may look like before it goes into the policy (name or IP, optional port).
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
HSTS = "max-age=31536000; includeSubDomains"
# The video room needs camera, microphone and screen sharing; the grid worker's report form
# the location. Nothing else may ask, and no other site's frame may ask either.
PERMISSIONS = ("camera=(self), microphone=(self), geolocation=(self), display-capture=(self), "
               "fullscreen=(self), payment=(), usb=(), serial=()")


def content_security_policy(host: str | None, secure: bool) -> str:
    # CSP level 3 lets 'self' match ws(s): on the same host; older browsers need it spelled out.
    sockets = f" {'wss' if secure else 'ws'}://{host}" if host and _HOST.match(host) else ""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
            f"connect-src 'self'{sockets}; font-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def _host(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"host":
            return str(value.decode("latin-1"))
    return None


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.static: list[tuple[str, str]] = [
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("Permissions-Policy", PERMISSIONS),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ]
        if hsts:
            self.static.append(("Strict-Transport-Security", HSTS))
        # The encoded headers per host and scheme seen; bounded, as the Host header is the
        # client's.
        self._headers: dict[tuple[str | None, bool], list[tuple[bytes, bytes]]] = {}

    def _for(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        key = (_host(scope), scope.get("scheme") == "https")
        headers = self._headers.get(key)
        if headers is None:
            pairs = [("Content-Security-Policy", content_security_policy(*key)), *self.static]
            headers = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                       for name, value in pairs]
            if len(self._headers) < 64:
                self._headers[key] = headers
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = message.setdefault("headers", [])
                if not isinstance(raw, list):
                    raw = message["headers"] = list(raw)
                present = {name.lower() for name, _ in raw}
                raw.extend(pair for pair in self._for(scope) if pair[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)
