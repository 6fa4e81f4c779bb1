"""`make run` serves with `odr serve`: migrations, demo data once, uvicorn."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(var: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODR_")}
    env.update({"ODR_VAR_DIR": str(var), "ODR_ENV": "development"})
    return subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "serve", "--port", str(port)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_ok(port: int, proc: subprocess.Popen[str], limit: float = 60) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read() if proc.stdout else "server exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not answer")


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


@pytest.mark.slow
def test_serve_sets_up_once_and_keeps_data(tmp_path: Path) -> None:
    port = _free_port()
    proc = _serve(tmp_path, port)
    try:
        _wait_ok(port, proc)
        login = httpx.get(f"http://127.0.0.1:{port}/login")
        assert login.status_code == 200 and "登录" in login.text
        css = httpx.get(f"http://127.0.0.1:{port}/static/vendor/bootstrap/css/bootstrap.min.css")
        assert css.status_code == 200
    finally:
        output = _stop(proc)
    assert "13800000001" in output and "demo data loaded" in output
    db = tmp_path / "odr.sqlite3"
    users, cases = _count(db, "users"), _count(db, "cases")
    assert users >= 8 and cases >= 4

    proc = _serve(tmp_path, port)
    try:
        _wait_ok(port, proc)
    finally:
        output = _stop(proc)
    assert "demo data already present" in output
    assert (_count(db, "users"), _count(db, "cases")) == (users, cases)
