"""The ASGI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

from asgi_csrf import asgi_csrf_decorator
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal.config import Settings, get_settings
from portal.i18n import gettext_
from portal.web import court_mount, csrf_multipart
from portal.web.api.spec import spec
from portal.web.auth import AuthMiddleware
from portal.web.embedded_beat import EmbeddedBeat
from portal.web.hardening import harden
from portal.web.metrics import RouteRecorder
from portal.web.middleware import LocaleMiddleware, csrf_failed
from portal.web.rooms import video_rooms
from portal.web.routes import routes
from portal.web.templating import render

log = logging.getLogger(__name__)

ERROR_TEXT = {
    400: ("The request could not be processed", "Please check what you entered and try again."),
    401: ("Please log in", "You need to log in to do this."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Page not found", "The page does not exist, or you do not have access to it."),
    405: ("Not allowed", "This action is not available here."),
    409: ("Conflict", "Someone changed this in the meantime. Reload the page."),
    413: ("Too large", "What you sent is too large."),
    415: ("Unsupported format", "This kind of content is not accepted here."),
    429: ("Too many requests", "Please wait a moment and try again."),
    500: ("Something went wrong", "The error was logged. Please try again later."),
}


async def http_error(request: Request, exc: Exception) -> Response:
    """Error pages (and API errors) in the user's language.

    A view that raises HTTPException with a detail passes an already translated message;
    otherwise Starlette fills in the English reason phrase and the generic text is used.
    """
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    title, generic = ERROR_TEXT.get(status, ERROR_TEXT[400])
    detail = exc.detail if isinstance(exc, HTTPException) else None
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    message = detail if detail and detail != phrase else gettext_(generic)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": gettext_(title), "detail": message}, status)
    return render(request, "errors/error.html", {
        "status": status, "title": gettext_(title), "message": message,
    }, status)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return await http_error(request, exc)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    secret = settings.resolved_secret_key()
    # The embedded default's court, served beside the portal at /court (None when configured).
    court = court_mount.embedded_receiver(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        beat = EmbeddedBeat()
        if settings.eager and settings.embedded_beat:
            beat.start()
        try:
            async with video_rooms(app, settings), court_mount.running(court):
                yield {}
        finally:
            await beat.stop()

    app = Starlette(
        debug=False,
        routes=routes(settings),
        middleware=[
            Middleware(RouteRecorder),  # the route template for the metrics
            Middleware(LocaleMiddleware),
            Middleware(SessionMiddleware, secret_key=secret, session_cookie="odr_flash",
                       same_site="lax", https_only=settings.cookie_secure, max_age=None),
            Middleware(AuthMiddleware),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    # SpecTree reads the routes to generate /api/v1/openapi.json (served by our own route).
    spec.app = app
    # asgi-csrf wraps the whole app; login and registration are protected even before a
    # session cookie exists, which closes login CSRF.
    csrf_multipart.install()
    protect = asgi_csrf_decorator(
        signing_secret=secret, cookie_name="odr_csrf", form_input="csrftoken",
        always_protect={"/login", "/register", "/logout"}, send_csrf_failed=csrf_failed,
        cookie_secure=settings.cookie_secure,
    )
    return harden(court_mount.mount(protect(app), court), settings)  # type: ignore[return-value]
