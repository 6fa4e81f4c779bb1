"""Liveness, readiness and the Prometheus metrics.

/healthz answers as long as the process serves requests (no database: a database outage
must not get every web process restarted). /readyz says whether this process can do its
work now: the database answers, the broker (when there is one) accepts a connection, the
file storage takes a write.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable

import anyio
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal.accounts.roles import Role
from portal.config import get_settings
from portal.db import get_engine
from portal.storage import get_storage, new_name
from portal.web import metrics as prometheus
from portal.web.auth import _bearer
from portal.web.security import public, requires

log = logging.getLogger(__name__)
CHECK_SECONDS = 5.0
NO_STORE = {"Cache-Control": "no-store"}


@public
async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


def _database() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def _broker() -> None:
    from portal.worker import celery_app

    with celery_app.connection_for_write(url=get_settings().broker_url) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=CHECK_SECONDS)


def _storage() -> None:
    storage = get_storage()
    name = new_name("readyz", "txt")
    storage.save_sync(name, [b"ready"])
    storage.delete(name)


async def _check(name: str, fn: Callable[[], None]) -> str:
    try:
        with anyio.fail_after(CHECK_SECONDS):
            # Abandoned on timeout: a hung connection must not hang the probe.
            await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)
    except Exception as exc:
        log.warning("readiness check %s failed: %s", name, exc)
        return "failed"
    return "ok"


@public
async def readyz(request: Request) -> Response:
    checks = {"database": _database, "storage": _storage}
    if get_settings().broker_url:
        checks["broker"] = _broker
    started = time.perf_counter()
    results = {name: await _check(name, fn) for name, fn in checks.items()}
    ready = all(result == "ok" for result in results.values())
    return JSONResponse({"status": "ok" if ready else "unavailable", "checks": results,
                         "ms": round((time.perf_counter() - started) * 1000, 1)},
                        200 if ready else 503, headers=NO_STORE)


def _exposition() -> Response:
    body, content_type = prometheus.exposition()
    return Response(body, headers={**NO_STORE, "Content-Type": content_type})


@requires(Role.ADMIN)
async def _metrics_for_admins(request: Request) -> Response:
    return _exposition()


async def metrics(request: Request) -> Response:
    """For Prometheus with ODR_METRICS_TOKEN as its bearer token, or an administrator."""
    token = get_settings().metrics_token.get_secret_value()
    given = _bearer(request.scope)
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return _exposition()
    return await _metrics_for_admins(request)


metrics.allowed_roles = frozenset({Role.ADMIN})  # type: ignore[attr-defined]

ROUTES = [
    Route("/healthz", healthz, methods=["GET", "HEAD"], name="healthz"),
    Route("/readyz", readyz, methods=["GET", "HEAD"], name="readyz"),
    Route("/metrics", metrics, name="metrics"),
]
