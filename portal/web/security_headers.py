"""Pure ASGI middleware: the browser security headers on every HTTP response.

The templates carry no inline script, event handler attribute or style attribute
(tests/unit/web/test_security_headers.py keeps it so), so the policy needs no
'unsafe-inline' anywhere. A view that sets a header itself (the video room's stricter
Referrer-Policy) keeps its own value.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
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
        # One policy per host and scheme seen; bounded, as the Host header is the client's.
        self._policies: dict[tuple[str | None, bool], str] = {}

    def _policy(self, scope: Scope) -> str:
        key = (_host(scope), scope.get("scheme") == "https")
        policy = self._policies.get(key)
        if policy is None:
            policy = content_security_policy(*key)
            if len(self._policies) < 64:
                self._policies[key] = policy
        return policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", self._policy(scope))
                for name, value in self.static:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
