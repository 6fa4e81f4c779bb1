"""One delivery attempt against a real HTTP server on loopback, and the backoff."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from court_export.delivery import backoff_seconds, deliver


class Court(BaseHTTPRequestHandler):
    """Answers with whatever the test queued: (status, body, delay)."""

    answers: ClassVar[list[tuple[int, bytes, float]]] = []
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        type(self).received.append({"path": self.path, "headers": dict(self.headers),
                                    "body": body})
        status, answer, delay = type(self).answers.pop(0)
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def court() -> Iterator[str]:
    Court.answers, Court.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Court)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/filings"
    server.shutdown()
    server.server_close()


@pytest.fixture
def package(tmp_path: Path) -> Path:
    path = tmp_path / "p.zip"
    path.write_bytes(bytes(range(256)) * 20_000)  # 5 MB: several chunks
    return path


KEY = "6f1c3f0e-8a43-4b1b-9c55-0d2f4a0b1c2d"


def answer(status: int, body: object, delay: float = 0.0) -> None:
    Court.answers.append((status, json.dumps(body).encode() if body is not None else b"",
                          delay))


def test_a_2xx_is_accepted_with_the_court_answer(court: str, package: Path) -> None:
    answer(201, {"filing_id": "F-1", "package_id": KEY, "status": "received"})
    outcome = deliver(court, package, idempotency_key=KEY)
    assert outcome.kind == "accepted"
    assert outcome.status_code == 201
    assert outcome.body["filing_id"] == "F-1"
    request = Court.received[0]
    assert request["path"] == "/api/v1/filings"
    assert request["headers"]["Idempotency-Key"] == KEY
    assert request["headers"]["Content-Type"] == "application/zip"
    assert "Transfer-Encoding" not in request["headers"]
    assert request["body"] == package.read_bytes()


def test_a_4xx_is_refused_with_the_court_reason(court: str, package: Path) -> None:
    answer(422, {"error": "checksum_mismatch", "detail": "data/x does not match its SHA-256"})
    outcome = deliver(court, package, idempotency_key=KEY)
    assert outcome.kind == "refused"
    assert outcome.status_code == 422
    assert outcome.reason == "checksum_mismatch: data/x does not match its SHA-256"
    assert outcome.body["error"] == "checksum_mismatch"


def test_a_4xx_without_json_keeps_the_text(court: str, package: Path) -> None:
    Court.answers.append((409, b"key reused with other bytes", 0.0))
    outcome = deliver(court, package, idempotency_key=KEY)
    assert (outcome.kind, outcome.status_code) == ("refused", 409)
    assert outcome.reason == "HTTP 409: key reused with other bytes"


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_a_5xx_or_a_busy_court_is_retried(status: int, court: str, package: Path) -> None:
    answer(status, {"detail": "try later"})
    outcome = deliver(court, package, idempotency_key=KEY)
    assert (outcome.kind, outcome.status_code, outcome.reason) == ("retry", status, "try later")


def test_connection_refused_is_retried(package: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    outcome = deliver(f"http://127.0.0.1:{port}/api/v1/filings", package, idempotency_key=KEY)
    assert outcome.kind == "retry"
    assert outcome.status_code is None
    assert "ConnectError" in outcome.reason


def test_a_timeout_is_retried(court: str, package: Path) -> None:
    answer(201, {"filing_id": "late"}, delay=1.0)
    started = time.monotonic()
    outcome = deliver(court, package, idempotency_key=KEY, timeout=0.3)
    assert outcome.kind == "retry"
    assert outcome.status_code is None
    assert outcome.reason.startswith("timeout after 0.3 s")
    assert time.monotonic() - started < 1.0


def test_a_given_client_is_used_and_left_open(court: str, package: Path) -> None:
    answer(201, {"filing_id": "F-2"})
    with httpx.Client(headers={"User-Agent": "fengqiao-test"}) as client:
        outcome = deliver(court, package, idempotency_key=KEY, client=client)
        assert not client.is_closed
    assert outcome.kind == "accepted"
    assert Court.received[0]["headers"]["User-Agent"] == "fengqiao-test"


def test_backoff_grows_exponentially_under_a_cap_with_full_jitter() -> None:
    rng = random.Random(7)
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (500, 3600)]:
        waits = [backoff_seconds(attempt, rng=rng) for _ in range(400)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.9  # jitter spreads over the whole range
        assert min(waits) < ceiling * 0.1
    assert backoff_seconds(0, base=2, cap=5, rng=rng) <= 2
    assert backoff_seconds(3, base=1, cap=10, rng=random.Random(1)) == (
        backoff_seconds(3, base=1, cap=10, rng=random.Random(1)))
