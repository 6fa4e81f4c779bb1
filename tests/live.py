"""A real server on a loopback port, for tests where the network itself matters (browsers,
retries, timeouts, a process calling itself back)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def loopback_socket() -> socket.socket:
    """Bound to a free loopback port but not listening yet: connecting is refused until
    ``serving`` starts listening on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serving(make_app: Callable[[str], Any], sock: socket.socket | None = None) -> Iterator[str]:
    """Serve ``make_app(url)`` with uvicorn in a thread; the app learns its own URL first."""
    sock = sock or loopback_socket()
    # Listening before the server thread starts: early requests wait in the backlog.
    sock.listen(64)
    url = url_of(sock)
    server = uvicorn.Server(uvicorn.Config(make_app(url), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
