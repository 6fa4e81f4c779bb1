"""Has anything been committed since? A cheap stamp for caches of what was read.

Two reads of a stamp give the same value only if no transaction was committed in between,
by any connection of any process:

* SQLite: ``PRAGMA data_version`` on a connection of our own that never writes; SQLite
  changes it whenever another connection commits (a few microseconds, no lock taken).
  The file's identity is part of the stamp, so a database replaced on disk is noticed
  (within a second).
* PostgreSQL: ``pg_current_snapshot()``, which says which transactions a new snapshot
  sees (xmin, xmax = one past the latest to finish, and those still running below it). A
  writing transaction changes it when it ends, committed or not; read-only transactions
  take no id and never do. Other databases of the same server move it too (a needless
  rebuild, never a stale page).

A cache reads the stamp *before* it reads the data and keeps the result with that stamp.
Finding the same stamp later means nothing was committed since the stamp was read, so
nothing the result was built from has changed. Stamps only ever move forward, so a stale
entry can never match again. Where no stamp can be had (SQLite in memory) it is None and
nothing is cached.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine

_opened = itertools.count(1)
# How often the file's identity is checked: a database replaced on disk (not restored
# through SQLite, which counts as a commit) is noticed within this time.
FILE_CHECK_SECONDS = 1.0


class Stamp(Protocol):
    # True when reading it waits on the network (run it in a thread from async code).
    blocking: bool

    def read(self) -> str | None: ...


class SqliteStamp:
    blocking = False

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._name = ""
        self._opened = 0
        self._checked = 0.0

    def read(self) -> str | None:
        with self._lock:
            now = time.monotonic()
            name = self._name
            if self._conn is None or now - self._checked >= FILE_CHECK_SECONDS:
                try:
                    info = os.stat(self._path)
                except OSError:
                    return None
                name, self._checked = f"{info.st_dev}.{info.st_ino}", now
            try:
                if self._conn is None or name != self._name:
                    self._reopen(name)
                assert self._conn is not None
                version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error:
                self.close()
                return None
            # data_version counts per connection: a reopened one starts again, hence the
            # number of the connection in the stamp.
            return f"{self._name}:{self._opened}:{version}"

    def _reopen(self, name: str) -> None:
        self.close()
        self._conn = sqlite3.connect(self._path, check_same_thread=False,
                                     isolation_level=None)
        self._name, self._opened = name, next(_opened)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresStamp:
    blocking = True

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._conn: Any = None

    def read(self) -> str | None:
        # A connection of its own, in autocommit: no pool checkout and ping per request,
        # and no transaction left open between reads.
        with self._lock:
            try:
                if self._conn is None:
                    pooled = self._engine.raw_connection()
                    pooled.detach()
                    self._conn = pooled.dbapi_connection
                    self._conn.autocommit = True
                with self._conn.cursor() as cursor:
                    cursor.execute("SELECT pg_current_snapshot()::text")
                    return str(cursor.fetchone()[0])
            except Exception:
                self.close()
                raise

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to release
                self._conn.close()
            self._conn = None


_stamps: dict[str, Stamp | None] = {}
_guard = threading.Lock()


# The engine asked for last and its stamp: every request asks for the same one, and
# rendering its URL for the key took longer than reading the stamp itself.
_last: tuple[Engine, Stamp | None] | None = None


def stamp_for(engine: Engine) -> Stamp | None:
    """The stamp of ``engine``'s database, or None when it has none."""
    global _last
    last = _last
    if last is not None and last[0] is engine:
        return last[1]
    key = str(engine.url)
    with _guard:
        if key not in _stamps:
            _stamps[key] = _make(engine)
        _last = (engine, _stamps[key])
        return _stamps[key]


def _make(engine: Engine) -> Stamp | None:
    if engine.dialect.name == "postgresql":
        return PostgresStamp(engine)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:" \
            and not database.startswith("file:"):
        return SqliteStamp(Path(database))
    return None


def forget() -> None:
    """Drop every stamp (with the engines they belong to)."""
    global _last
    with _guard:
        _last = None
        for stamp in _stamps.values():
            if isinstance(stamp, SqliteStamp | PostgresStamp):
                stamp.close()
        _stamps.clear()
