"""Prometheus metrics: HTTP requests by route template and status, Celery task outcomes.

Under several uvicorn workers set PROMETHEUS_MULTIPROC_DIR (an empty directory shared by
the workers): prometheus-client then keeps the values in files there and ``exposition``
adds up every worker's.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

UNMATCHED = "<unmatched>"
# asgi-csrf passes a copy of the scope inwards, so the router's match reaches the outer
# middleware through this holder (a list, shared by both copies) instead.
MATCHED_ROUTE = "odr.matched_route"

REQUESTS = Counter("odr_http_requests_total", "HTTP requests answered.",
                   ["method", "route", "status"])
LATENCY = Histogram("odr_http_request_duration_seconds",
                    "Time from the request to the end of the response.", ["method", "route"])
TASKS = Counter("odr_celery_tasks_total", "Celery tasks run in this process, by final state.",
                ["task", "state"])


class RouteRecorder:
    """Inside the Starlette app: hands the matched route out through ``MATCHED_ROUTE``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            holder = scope.get(MATCHED_ROUTE)
            if isinstance(holder, list) and "route" in scope:
                holder.append(scope["route"])


def route_template(scope: Scope) -> str:
    """The matched route's path template (low cardinality), not the concrete path."""
    holder = scope.get(MATCHED_ROUTE)
    route = holder[-1] if holder else scope.get("route")
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


# The labelled series by (method, route, status): ``labels`` checks and locks on every call,
# which was a tenth of a cached page's time. Bounded like the series themselves: by the
# route templates, methods and statuses there are.
_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe(scope: Scope, status: int, seconds: float) -> str:
    """Count one answered request; returns the route template it is counted under."""
    key = (scope.get("method", ""), route_template(scope), status)
    series = _series.get(key)
    if series is None:
        method, route, _ = key
        series = _series[key] = (REQUESTS.labels(method, route, str(status)),
                                 LATENCY.labels(method, route))
    series[0].inc()
    series[1].observe(seconds)
    return key[1]


def exposition() -> tuple[bytes, str]:
    """The text format Prometheus scrapes, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def _task_finished(sender: Any = None, task: Any = None, state: str | None = None,
                   **_: Any) -> None:
    name = getattr(task, "name", None) or getattr(sender, "name", None) or "unknown"
    TASKS.labels(str(name), state or "UNKNOWN").inc()


def watch_celery() -> None:
    """Count every task this process runs (in eager mode: all of them). Idempotent."""
    from celery.signals import task_postrun

    task_postrun.connect(_task_finished, weak=False, dispatch_uid="odr-metrics-task-postrun")
