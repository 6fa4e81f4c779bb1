"""Request ids in and out, on every log record of the request, and JSON log lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from portal.web.request_log import RequestContextMiddleware, RequestIdFilter, configure_logging

log = logging.getLogger("tests.request_log")


def _log_in_a_thread() -> None:
    log.warning("from the thread pool")


async def view(request: Request) -> Response:
    log.warning("from the view")
    await run_in_threadpool(_log_in_a_thread)
    return PlainTextResponse("ok")


def _client() -> TestClient:
    return TestClient(RequestContextMiddleware(Starlette(routes=[Route("/items/{n}", view)])))


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield seen
    root.removeHandler(handler)
    root.setLevel(level)


def test_a_given_id_is_kept_and_reaches_every_record(records: list[logging.LogRecord]) -> None:
    response = _client().get("/items/7", headers={"X-Request-ID": "edge-1234.abc"})
    assert response.headers["x-request-id"] == "edge-1234.abc"
    ours = [r for r in records if r.name in ("tests.request_log", "portal.access")]
    assert [r.getMessage() for r in ours][:2] == ["from the view", "from the thread pool"]
    assert {getattr(r, "request_id", None) for r in ours} == {"edge-1234.abc"}
    access = next(r for r in ours if r.name == "portal.access")
    assert (access.status, access.route, access.path) == (  # type: ignore[attr-defined]
        200, "/items/{n}", "/items/7")


def test_a_missing_or_unsafe_id_is_replaced(records: list[logging.LogRecord]) -> None:
    client = _client()
    made = client.get("/items/1").headers["x-request-id"]
    assert len(made) == 32 and int(made, 16) >= 0
    forged = client.get("/items/1", headers={"X-Request-ID": "a\" injected=1"})
    assert forged.headers["x-request-id"] not in ("a\" injected=1", made)
    # Outside a request the records say so.
    log.warning("no request")
    assert records[-1].request_id == "-"  # type: ignore[attr-defined]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    uvicorn_access = logging.getLogger("uvicorn.access")
    yield
    root.handlers, root.level = saved[0], saved[1]
    uvicorn_access.disabled = False


def test_json_lines_carry_the_request_id(restore_logging: None,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json")
    _client().get("/items/3", headers={"X-Request-ID": "rid-42"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    view_line = next(line for line in lines if line["message"] == "from the view")
    assert view_line["request_id"] == "rid-42" and view_line["level"] == "WARNING"
    access = next(line for line in lines if line["logger"] == "portal.access")
    assert access["status"] == 200 and access["route"] == "/items/{n}"
    assert access["request_id"] == "rid-42" and access["duration_ms"] >= 0
    assert logging.getLogger("uvicorn.access").disabled  # ours replaces uvicorn's


def test_text_format(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("text")
    _client().get("/items/3", headers={"X-Request-ID": "rid-43"})
    assert "[rid-43] from the view" in capsys.readouterr().err
