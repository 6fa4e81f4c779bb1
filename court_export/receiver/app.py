"""``create_app(ReceiverConfig(...))``: the court receiver as one Starlette application.

Stand-alone: ``uvicorn court_export.receiver.asgi:app``; in a host: ``Mount("/court",
create_app(config))`` (the lifespan of a mounted app does not run by itself: a host calls
``receiver_lifespan(app)`` in its own lifespan to run the callback loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from court_export.receiver import actions, api, inbox, session_views
from court_export.receiver.auth import LoginThrottle
from court_export.receiver.callbacks import CallbackSender
from court_export.receiver.config import ReceiverConfig
from court_export.receiver.context import Court, build_court
from court_export.receiver.security import SecurityHeaders
from court_export.receiver.templating import make_templates, render

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
TITLES = {400: "请求有误", 403: "无权操作", 404: "未找到", 405: "不支持的操作",
          413: "内容过大", 429: "请求过多", 500: "服务器出错"}
GENERIC = "请检查地址或返回收件箱。"


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "出错已记录，请稍后再试。"
    if request.url.path.startswith(f"{request.scope.get('root_path', '')}/api/"):
        return JSONResponse({"error": f"http_{status}", "detail": detail}, status)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    # Starlette's own errors carry the English reason phrase; the clerk reads Chinese.
    message = GENERIC if not detail or detail == phrase else detail
    return render(request, "error.html", {"status": status,
                                          "title": TITLES.get(status, "出错了"),
                                          "message": message}, status)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("court receiver error on %s %s", request.method, request.url.path,
                  exc_info=exc)
    return await http_error(request, exc)


@asynccontextmanager
async def receiver_lifespan(app: Starlette) -> AsyncIterator[None]:
    """Run the callback outbox loop while the application serves."""
    court: Court = app.state.court
    sender = CallbackSender(court)
    task = asyncio.create_task(sender.run(), name="court-callbacks")
    court.wake_outbox = sender.wake
    try:
        yield
    finally:
        court.wake_outbox = lambda: None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await sender.aclose()


def create_app(config: ReceiverConfig) -> Starlette:
    court = build_court(config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with receiver_lifespan(app):
            yield
        court.db.dispose()

    app = Starlette(
        routes=[*api.routes, *session_views.routes, *inbox.routes, *actions.routes,
                Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SessionMiddleware, secret_key=court.secret_key,
                       session_cookie="court_session", same_site="strict",
                       https_only=config.cookie_secure, max_age=8 * 3600),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.court = court
    app.state.templates = make_templates(config.zone)
    app.state.login_throttle = LoginThrottle()
    return app
