"""The change stamp: it moves when something is committed, by anyone, and only then."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.db import get_engine, stamp
from tests.conftest import POSTGRES_URL
from tests.factories import UserFactory


def _sqlite(path: Path) -> stamp.Stamp:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    found = stamp.stamp_for(engine)
    assert isinstance(found, stamp.SqliteStamp)
    return found


def test_sqlite_stamp_moves_on_every_commit_and_only_then(tmp_path: Path) -> None:
    reader = _sqlite(tmp_path / "a.sqlite3")
    first = reader.read()
    assert first is not None and reader.read() == first
    with sqlite3.connect(tmp_path / "a.sqlite3") as other:
        assert other.execute("SELECT count(*) FROM t").fetchone() == (0,)
        assert reader.read() == first  # reading changes nothing
        other.execute("INSERT INTO t VALUES (1)")
        assert reader.read() == first  # not committed yet
    second = reader.read()  # the with block committed
    assert second != first and reader.read() == second
    # Any other connection's commit counts too.
    with sqlite3.connect(tmp_path / "a.sqlite3") as third:
        third.execute("DELETE FROM t")
    assert reader.read() not in (first, second)
    stamp.forget()


def test_sqlite_stamp_notices_a_file_replaced_on_disk(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stamp, "FILE_CHECK_SECONDS", 0.0)
    reader = _sqlite(tmp_path / "a.sqlite3")
    before = reader.read()
    with sqlite3.connect(tmp_path / "b.sqlite3") as other:
        other.execute("CREATE TABLE t (x INTEGER)")
    os.replace(tmp_path / "b.sqlite3", tmp_path / "a.sqlite3")
    assert reader.read() != before
    os.remove(tmp_path / "a.sqlite3")
    assert reader.read() is None  # no database, no stamp: nothing may be cached
    stamp.forget()


def test_no_stamp_for_a_database_in_memory() -> None:
    assert stamp.stamp_for(create_engine("sqlite://")) is None
    assert stamp.stamp_for(create_engine("sqlite:///:memory:")) is None


def test_the_portal_database_stamp_moves_when_a_row_is_committed(db: Session) -> None:
    engine = get_engine()
    reader = stamp.stamp_for(engine)
    assert reader is not None
    assert reader.blocking is bool(POSTGRES_URL)
    before = reader.read()
    UserFactory()
    after = reader.read()
    assert before is not None and after != before
    # A read alone leaves it as it is. On PostgreSQL another database's writer (autovacuum
    # analysing a table) may move it at any moment, so one quiet try of a few is enough.
    quiet = []
    for _ in range(5):
        start = reader.read()
        with engine.connect() as conn:
            conn.execute(select(func.count()).select_from(User)).scalar_one()
        quiet.append(reader.read() == start)
    assert any(quiet)
