"""Request ids, one JSON access line per request, and the log set-up of the web process.

The id comes from the client's (or the proxy's) X-Request-ID when it is a sane token, is
made up otherwise, is sent back in the response, and is attached to every log record
written while the request runs (a contextvar, read by a logging filter; Starlette's
thread pool copies the context, so records from database work carry it too).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.web import metrics

request_id: ContextVar[str | None] = ContextVar("odr_request_id", default=None)
HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode("latin-1")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# Probes every few seconds would drown the real traffic.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
access_log = logging.getLogger("portal.access")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


def configure_logging(log_format: str = "json", level: int = logging.INFO) -> None:
    """One stderr handler on the root logger; uvicorn's loggers go through it too."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter(
            "{asctime}{levelname}{name}{message}{request_id}", style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # uvicorn repeats its messages with terminal colour codes for its own formatter.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"]))
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    # Neither format shows the caller, thread or process of a record; not collecting them
    # saves a stack walk per record (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # Our access line has the request id and the route; uvicorn's would repeat it without.
    logging.getLogger("uvicorn.access").disabled = True


def _incoming_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"x-request-id":
            text = str(value.decode("latin-1"))
            return text if _VALID_ID.match(text) else None
    return None


class RequestContextMiddleware:
    """Outermost: gives each request its id, then logs and counts it once it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope) or uuid.uuid4().hex
        scope["odr.request_id"] = rid
        scope[metrics.MATCHED_ROUTE] = []
        token = request_id.set(rid)
        if scope["type"] == "websocket":
            try:
                await self.app(scope, receive, send)
            finally:
                request_id.reset(token)
            return
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Appended as is: nothing inside sets this header (MutableHeaders, which
                # would look for it first, cost more than the rest of this function).
                message["headers"] = [*message.get("headers", ()), (_HEADER_KEY, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = metrics.observe(scope, status, elapsed)
            path = scope["path"]
            access_log.log(
                logging.DEBUG if path in QUIET_PATHS else logging.INFO,
                "%s %s %s %.1fms", scope.get("method"), path, status, elapsed * 1000,
                extra={"method": scope.get("method"), "path": path, "status": status,
                       "route": route,
                       "duration_ms": round(elapsed * 1000, 2),
                       "client": (scope.get("client") or ("", 0))[0]})
            request_id.reset(token)
