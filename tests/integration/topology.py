"""The production topology without Docker: separate processes for the portal, a Celery
worker, Celery beat and the court's receiver, on the machine's PostgreSQL and Redis, and a
hold-or-forward TCP proxy in front of the court so a test can catch a delivery in flight."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from portal.config import PROJECT_ROOT

DATABASE = "odr_topology"
REDIS_DB = 13  # the suite's other Redis tests use their own queues on db 0
CLERK, CLERK_PASSWORD = "clerk", "court-clerk-password-2026"
PLATFORM_ID = "fengqiao-odr"
# Short, so a task whose worker was killed is handed out again within the test.
VISIBILITY_TIMEOUT = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], seconds: float, what: str,
             alive: Callable[[], str | None] = lambda: None, step: float = 0.05) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        if (dead := alive()) is not None:
            raise AssertionError(f"waiting for {what}: {dead}")
        time.sleep(step)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def fresh_database(server_url: str) -> str:
    """A new, empty database on the test server; its SQLAlchemy URL."""
    url = make_url(server_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return url.set(database=DATABASE).render_as_string(hide_password=False)


def drop_database(server_url: str) -> None:
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def redis_db(redis_url: str) -> str:
    base = redis_url.rstrip("/")
    if base.rsplit("/", 1)[-1].isdigit():
        base = base.rsplit("/", 1)[0]
    return f"{base}/{REDIS_DB}"


class Proxy:
    """A TCP proxy in front of the court: ``hold`` keeps new connections open without an
    answer (a delivery in flight), ``forward`` pipes them to the court."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.hold = True
        self.held: list[socket.socket] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.hold:
                self.held.append(conn)
                continue
            try:
                up = socket.create_connection(("127.0.0.1", self.upstream), timeout=10)
            except OSError:
                conn.close()
                continue
            for a, b in ((conn, up), (up, conn)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def release(self) -> None:
        """Forward from now on; connections held so far are dropped (their client is gone)."""
        self.hold = False
        for conn in self.held:
            with suppress(OSError):
                conn.close()

    def close(self) -> None:
        self._stop = True
        self.release()
        with suppress(OSError):
            self.sock.close()


@dataclass
class Process:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(self.args, cwd=PROJECT_ROOT, env=self.env, stdout=handle,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()

    def dead(self) -> str | None:
        if self.proc is not None and self.proc.poll() is not None:
            return f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}"
        return None

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, no acknowledgement."""
        assert self.proc is not None
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class Topology:
    root: Path
    database_url: str
    portal_url: str
    court_url: str
    proxy: Proxy
    portal: Process
    worker: Process
    beat: Process
    court: Process
    processes: list[Process] = field(default_factory=list)

    def alive(self) -> str | None:
        return next((d for p in self.processes if (d := p.dead()) is not None), None)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail(3000)}" for p in self.processes)


def _env(base: dict[str, str], **values: str) -> dict[str, str]:
    env = {k: v for k, v in base.items() if not k.startswith(("ODR_", "COURT_"))}
    env.update(values)
    return env


@contextmanager
def topology(root: Path, postgres_url: str, redis_url: str) -> Iterator[Topology]:
    database_url = fresh_database(postgres_url)
    broker = redis_db(redis_url)
    import redis

    redis.Redis.from_url(broker).flushdb()
    portal_port, court_port = free_port(), free_port()
    proxy = Proxy(court_port)
    portal_url, court_url = f"http://127.0.0.1:{portal_port}", f"http://127.0.0.1:{court_port}"
    pki, court_var = root / "pki", root / "court"
    courts_file = root / "courts.toml"
    courts_file.write_text(
        f'[platform]\nid = "{PLATFORM_ID}"\nname = "枫桥式纠纷多元化解平台"\n\n'
        '[[courts]]\nid = "zhuji"\nname = "诸暨市人民法院"\n'
        f'endpoint = "http://127.0.0.1:{proxy.port}/api/v1/filings"\n'
        f'public_key_dir = "{court_var / "keys"}"\n', encoding="utf-8")
    base = dict(os.environ)
    portal_env = _env(
        base, ODR_ENV="development", ODR_VAR_DIR=str(root / "var"), ODR_PKI_DIR=str(pki),
        ODR_DATABASE_URL=database_url, ODR_BROKER_URL=broker, ODR_RESULT_BACKEND="",
        ODR_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT), ODR_EMBEDDED_BEAT="false",
        ODR_DEMO_DATA="true", ODR_BASE_URL=portal_url, ODR_COURTS_FILE=str(courts_file),
        ODR_SECRET_KEY="topology-secret-key-that-is-long-enough-0123456789",
        ODR_LOG_FORMAT="text", ODR_FILING_MAX_ATTEMPTS="8")
    court_env = _env(
        base, COURT_VAR_DIR=str(court_var), COURT_PLATFORM_ID=PLATFORM_ID,
        COURT_PLATFORM_KEY_DIR=str(pki / "court-export"),
        COURT_PLATFORM_CALLBACK_URL=f"{portal_url}/api/v1/court/callbacks",
        COURT_CLERKS=json.dumps({CLERK: PasswordHasher().hash(CLERK_PASSWORD)}),
        COURT_CALLBACK_INTERVAL="0.5", COURT_CALLBACK_BACKOFF_BASE="1")
    py = sys.executable
    celery = [py, "-m", "celery", "-A", "portal.worker:celery_app"]
    logs = root / "logs"
    logs.mkdir()
    portal = Process("portal", [py, "-m", "portal.cli", "serve", "--port", str(portal_port),
                                "--workers", "2"], portal_env, logs / "portal.log")
    # One task at a time (solo pool) so a SIGKILL lands in the task under test.
    worker = Process("worker", [*celery, "worker", "--pool=solo", "--without-heartbeat",
                                "--without-gossip", "--without-mingle", "-l", "info"],
                     portal_env, logs / "worker.log")
    beat = Process("beat", [*celery, "beat", "-l", "info", "-s", str(root / "beat-schedule")],
                   portal_env, logs / "beat.log")
    court = Process("court", [py, "-m", "uvicorn", "court_export.receiver.asgi:app",
                              "--host", "127.0.0.1", "--port", str(court_port)],
                    court_env, logs / "court.log")
    top = Topology(root, database_url, portal_url, court_url, proxy, portal, worker, beat,
                   court, [court, portal, worker, beat])
    try:
        court.start()
        portal.start()  # migrates and loads the demo data before it listens
        wait_for(lambda: _ok(f"{court_url}/api/v1/keys"), 60, "the court", top.alive, 0.2)
        wait_for(lambda: _ok(f"{portal_url}/readyz"), 120, "the portal", top.alive, 0.2)
        worker.start()
        beat.start()
        wait_for(lambda: "ready." in worker.tail(), 60, "the worker", top.alive, 0.2)
        yield top
    finally:
        for p in reversed(top.processes):
            p.stop()
        proxy.close()
        with suppress(Exception):
            redis.Redis.from_url(broker).flushdb()
        with suppress(Exception):
            drop_database(postgres_url)
        shutil.rmtree(root / "var", ignore_errors=True)


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
