"""Pure ASGI middleware: resolves the login cookies to a user, rotating tokens as needed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.accounts import tokens
from portal.config import get_settings
from portal.db import session_scope
from portal.web import page_cache
from portal.web.cookies import request_cookies
from portal.web.deps import CurrentUser

ACCESS_COOKIE = "odr_access"
REFRESH_COOKIE = "odr_refresh"


@dataclass(frozen=True)
class Resolution:
    user: CurrentUser | None
    issued: tokens.IssuedTokens | None = None
    clear: bool = False
    # Until when the access token stands for ``user`` (it or its session expires).
    until: dt.datetime | None = None


def resolve(session: Session, access: str | None, refresh: str | None) -> Resolution:
    claims = tokens.decode_access(access) if access else None
    if claims is not None:
        row = tokens.active_session(session, claims)
        if row is not None:
            return Resolution(CurrentUser.from_user(row.user, row.id),
                              until=min(claims.expires_at, row.expires_at))
    if refresh:
        rotated = tokens.rotate(session, refresh)
        if rotated is not None:
            row, issued = rotated
            return Resolution(CurrentUser.from_user(row.user, row.id), issued)
    return Resolution(None, clear=bool(access or refresh))


def _resolve_in_session(access: str | None, refresh: str | None) -> Resolution:
    with session_scope() as session:
        return resolve(session, access, refresh)


def cookie_headers(issued: tokens.IssuedTokens | None) -> list[str]:
    """Set-Cookie values for new tokens, or for clearing them when ``issued`` is None."""
    settings = get_settings()
    secure = "; Secure" if settings.cookie_secure else ""
    if issued is None:
        return [f"{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"
                for name in (ACCESS_COOKIE, REFRESH_COOKIE)]
    return [
        f"{ACCESS_COOKIE}={issued.access}; Path=/; Max-Age={settings.access_token_minutes * 60}"
        f"; HttpOnly; SameSite=Lax{secure}",
        f"{REFRESH_COOKIE}={issued.refresh}; Path=/; Max-Age={settings.session_days * 86400}"
        f"; HttpOnly; SameSite=Lax{secure}",
    ]


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        cookies = request_cookies(scope)
        access, refresh = cookies.get(ACCESS_COOKIE), cookies.get(REFRESH_COOKIE)
        bearer = _bearer(scope)
        if bearer is not None:
            # API clients: the header wins and no cookies are rotated or cleared for them.
            access, refresh = bearer, None
        elif scope["type"] == "websocket":
            # A handshake cannot set cookies: rotating the refresh token here would leave the
            # browser holding the old one, and its next request would look like token reuse.
            refresh = None
        result = Resolution(None)
        if access or refresh:
            # Read before anything else (PageReplay may have just done so): what is cached
            # below and by the views it checks.
            stamp = scope[page_cache.STAMP] if page_cache.STAMP in scope \
                else await page_cache.read_stamp()
            scope[page_cache.STAMP] = stamp
            known = page_cache.known_login(access, stamp) if access else None
            if known is not None:
                result = Resolution(known.user, until=known.until)
            else:
                result = await run_in_threadpool(_resolve_in_session, access, refresh)
                if access and result.user is not None and result.until is not None:
                    page_cache.remember_login(access, stamp, result.user, result.until)
        scope["odr.user"] = result.user
        scope[page_cache.LOGIN_UNTIL] = result.until
        if bearer is not None or not (result.issued or result.clear) or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = cookie_headers(result.issued)

        async def send_with_cookies(message: Message) -> None:
            # A view that sets its own login cookies (login, logout) takes precedence.
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                own = " ".join(headers.getlist("set-cookie"))
                if ACCESS_COOKIE + "=" not in own:
                    for value in extra:
                        headers.append("set-cookie", value)
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def _bearer(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            text: str = value.decode("latin-1")
            scheme, _, credentials = text.partition(" ")
            if scheme.lower() == "bearer" and credentials:
                return credentials.strip()
    return None
