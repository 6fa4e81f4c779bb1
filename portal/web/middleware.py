"""Pure ASGI middleware: request locale, CSRF failure page."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from portal import i18n
from portal.web.cookies import request_cookies

LANG_COOKIE = "odr_lang"


class LocaleMiddleware:
    """Chinese by default; the language switch stores the choice in a cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            locale = i18n.negotiate(request_cookies(scope).get(LANG_COOKIE))
            token = i18n.current_locale.set(locale)
            try:
                await self.app(scope, receive, send)
            finally:
                i18n.current_locale.reset(token)
            return
        await self.app(scope, receive, send)


async def csrf_failed(scope: Scope, send: Send, error: Any) -> None:
    from portal.web.templating import render

    # CSRF runs outside LocaleMiddleware, so the language is read here too.
    i18n.current_locale.set(i18n.negotiate(request_cookies(scope).get(LANG_COOKIE)))
    request = Request(scope)
    response = render(request, "errors/error.html", {
        "status": 403,
        "title": i18n.gettext_("This form has expired"),
        "message": i18n.gettext_("The form was open too long or was sent from another site. "
                                 "Go back, reload the page and try again."),
    }, 403)

    async def no_body() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)
