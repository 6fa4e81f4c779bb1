"""Web pages under load: the portal's case list and case page against a bare Starlette page.

Both are served the same way, one after the other, by uvicorn with the same settings and the
same number of workers (``ODR_BENCH_WEB_WORKERS``, default 1): the portal on a temporary
SQLite database with the demo data (``odr db upgrade``, ``odr demo load``), logged in as the
demo dispatcher; the baseline is bench/web_bare.py. The
load comes from bench/web_load.py in another process, 50 clients for a fixed duration; when
there are more CPUs than workers, the server gets one CPU per worker and the load generator
the others (production runs 4 workers: docker-compose.yml).

* web.case_list_vs_bare, web.case_detail_vs_bare: pages per second ÷ the bare page's.
* web.p99_ms: the 99th percentile latency of the case pages (the worse of list and detail)
  in milliseconds; baseline 1, so the ratio is the value. The bare page's p99 is printed
  to stderr with the other details. With 50 clients that each wait for their answer, the
  latency is about 50 ÷ pages per second: this figure follows the throughput.

The portal answers a request for a page it answered before, with the same cookies, while
nothing has been committed to the database since (portal/web/page_replay.py, at most
``ODR_PAGE_CACHE_SECONDS``); the load here commits
nothing, so these figures are mostly pages served again. The same two pages with that
cache off, each one built from the database, are measured too and printed to stderr: what
a reader sees when something was written just before (on a busy day, most of the time).

Details (per run: pages/s, p50, p99, failures, the server's CPU share) go to stderr.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.figures import Figure

CLIENTS = 50
SECONDS = float(os.environ.get("ODR_BENCH_WEB_SECONDS", "8"))
DISPATCHER = "13800000002"  # portal.demo.DEMO_USERS
START_TIMEOUT = 60
WORKERS = int(os.environ.get("ODR_BENCH_WEB_WORKERS", "1"))
_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
# Pinned apart only when both sides get a CPU of their own.
SERVER_CPUS, LOAD_CPUS = ((set(_CPUS[:WORKERS]), set(_CPUS[WORKERS:]))
                          if len(_CPUS) > WORKERS else (set(), set()))


def _pin(cpus: set[int]) -> Callable[[], None] | None:
    if not cpus or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _portal_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODR_")}
    return env | {
        "ODR_ENV": "development", "ODR_VAR_DIR": str(var_dir),
        # ODR_BENCH_WEB_DATABASE_URL: an empty PostgreSQL database instead, to compare.
        "ODR_DATABASE_URL": os.environ.get("ODR_BENCH_WEB_DATABASE_URL")
        or f"sqlite:///{var_dir / 'odr.sqlite3'}",
        "ODR_SECRET_KEY": secrets.token_urlsafe(48), "ODR_EMBEDDED_BEAT": "false",
        "ODR_STATIC_VENDOR_DIR": str(Path(__file__).resolve().parent.parent / "node_modules"),
    }


def _odr(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "portal.cli", *args], env=env,  # noqa: S603
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"odr {' '.join(args)} failed:\n{done.stderr[-3000:]}")


@contextmanager
def _serve(app: str, env: dict[str, str], ready: str, log: Path) -> Iterator[tuple[str, int]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(WORKERS), "--no-access-log", "--log-level", "warning"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=_pin(SERVER_CPUS))
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"{app} exited:\n{log.read_text()[-3000:]}")
                try:
                    if httpx.get(base + ready, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield base, server.pid
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    """CPU time so far of the server and its uvicorn workers (Linux; 0 elsewhere)."""
    ticks = 0
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and (int(entry.name) == pid or int(fields[1]) == pid):
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _load(server: int, urls: list[str], cookie: str = "") -> dict[str, Any]:
    cpu, started = _cpu_seconds(server), time.monotonic()
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.web_load", ",".join(urls), "--clients", str(CLIENTS),
         "--seconds", str(SECONDS), "--cookie", cookie],
        capture_output=True, text=True, check=False, preexec_fn=_pin(LOAD_CPUS))
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    # The share of one CPU the server used while the generator ran (warm-up included).
    result["server_cpu"] = (_cpu_seconds(server) - cpu) / (time.monotonic() - started)
    if result["failures"] > result["requests"] * 0.01:
        raise RuntimeError(f"{urls[0]}: too many failed requests: {result}")
    return result


def _log_in(base: str) -> tuple[str, list[str]]:
    """The dispatcher's cookies, and the case numbers on the case list."""
    from portal.demo import DEMO_PASSWORD

    with httpx.Client(base_url=base, follow_redirects=False) as client:
        client.get("/login")
        answer = client.post("/login", data={"csrftoken": client.cookies["odr_csrf"],
                                             "phone": DISPATCHER, "password": DEMO_PASSWORD})
        if answer.status_code != 303:
            raise RuntimeError(f"the demo dispatcher could not log in: {answer.status_code}")
        page = client.get("/cases")
        numbers = sorted(set(re.findall(r'href="/cases/([A-Z]+-[0-9]+-[0-9]+)"', page.text)))
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    if page.status_code != 200 or not numbers:
        raise RuntimeError("the demo dispatcher sees no cases on /cases")
    return cookie, numbers


def _detail(name: str, result: dict[str, Any]) -> None:
    print(f"web: {name}: {result['per_second']:.0f} pages/s, p50 {result['p50_ms']:.1f} ms, "
          f"p99 {result['p99_ms']:.1f} ms, {result['requests']} requests, "
          f"{result['failures']} failed, server CPU {result['server_cpu']:.0%}",
          file=sys.stderr, flush=True)


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="odr-bench-web-") as scratch:
        var_dir = Path(scratch)
        env = _portal_env(var_dir)
        _odr(env, "db", "upgrade")
        _odr(env, "demo", "load")
        with _serve("bench.web_bare:app", env, "/", var_dir / "bare.log") as (base, pid):
            bare = _load(pid, [base + "/"])
        _detail("bare Starlette page", bare)
        with _serve("portal.web.asgi:app", env, "/healthz", var_dir / "portal.log") as (
                base, pid):
            cookie, numbers = _log_in(base)
            listing = _load(pid, [base + "/cases"], cookie)
            _detail("case list", listing)
            detail = _load(pid, [f"{base}/cases/{n}" for n in numbers], cookie)
            _detail(f"case page ({len(numbers)} cases in turn)", detail)
        with _serve("portal.web.asgi:app", env | {"ODR_PAGE_CACHE_SECONDS": "0"}, "/healthz",
                    var_dir / "portal-uncached.log") as (base, pid):
            cookie, numbers = _log_in(base)
            _detail("case list, page cache off", _load(pid, [base + "/cases"], cookie))
            _detail("case page, page cache off",
                    _load(pid, [f"{base}/cases/{n}" for n in numbers], cookie))
    return [
        Figure("web.case_list_vs_bare", listing["per_second"], bare["per_second"], 0.25),
        Figure("web.case_detail_vs_bare", detail["per_second"], bare["per_second"], 0.25),
        Figure("web.p99_ms", max(listing["p99_ms"], detail["p99_ms"]), 1.0, 50.0,
               higher_is_better=False),
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
