"""The request body limit: announced and streamed sizes, upload routes excepted."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from portal.web.body_limit import UPLOAD_ROUTES, BodySizeLimitMiddleware

LIMIT = 10_000
calls: list[str] = []


async def echo(request: Request) -> Response:
    calls.append(request.url.path)
    return PlainTextResponse(str(len(await request.body())))


def _client() -> TestClient:
    calls.clear()
    app = Starlette(routes=[Route("/echo", echo, methods=["POST"]),
                            Route("/api/echo", echo, methods=["POST"]),
                            Route("/cases/{number}/evidence", echo, methods=["POST"])])
    return TestClient(BodySizeLimitMiddleware(app, max_bytes=LIMIT))


def _chunks(total: int, size: int = 4096) -> Iterator[bytes]:
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


def test_a_body_within_the_limit_passes() -> None:
    response = _client().post("/echo", content=b"x" * LIMIT)
    assert response.status_code == 200 and response.text == str(LIMIT)


def test_an_announced_size_over_the_limit_is_refused_before_the_view_runs() -> None:
    client = _client()
    response = client.post("/echo", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert calls == []
    assert response.headers["connection"] == "close"


def test_a_streamed_body_is_counted_as_it_arrives() -> None:
    client = _client()
    response = client.post("/echo", content=_chunks(LIMIT * 3))  # chunked: no Content-Length
    assert response.status_code == 413
    assert calls == ["/echo"]  # the view ran and was stopped while reading
    assert client.post("/echo", content=_chunks(LIMIT)).text == str(LIMIT)


def test_the_api_gets_json() -> None:
    response = _client().post("/api/echo", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]


def test_upload_routes_enforce_their_own_limits() -> None:
    response = _client().post("/cases/FQ-1/evidence", content=_chunks(LIMIT * 5))
    assert response.status_code == 200 and response.text == str(LIMIT * 5)
    assert "/cases/{number}/evidence" in UPLOAD_ROUTES



def test_only_requests_that_can_carry_a_body_are_counted() -> None:
    from portal.web.body_limit import _may_have_body

    def scope(*headers: tuple[bytes, bytes], version: str = "1.1") -> dict[str, object]:
        return {"type": "http", "http_version": version, "headers": list(headers)}

    assert not _may_have_body(scope())  # HTTP/1.1 without either header: no body at all
    assert not _may_have_body(scope((b"content-length", b"0")))
    assert _may_have_body(scope((b"content-length", b"12")))
    assert _may_have_body(scope((b"content-length", b"junk")))  # counted, never trusted
    assert _may_have_body(scope((b"transfer-encoding", b"chunked")))
    assert _may_have_body(scope(version="2"))  # HTTP/2 may stream a body without either
