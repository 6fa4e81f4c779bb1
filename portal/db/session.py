"""Engines and sessions. One sync driver story: sqlite3 or psycopg 3.

Web views run database work in a thread (see portal.web.deps), Celery tasks call the
same services directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from portal.config import get_settings
from portal.db import stamp

_engines: dict[str, Engine] = {}


def normalise_url(url: str) -> str:
    # Accept the plain libpq form that operators and CI use.
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine(url: str | None = None) -> Engine:
    url = normalise_url(url or get_settings().database_url)
    if url not in _engines:
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        _engines[url] = make_engine(url)
    return _engines[url]


def reset_engine() -> None:
    stamp.forget()
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _makers.clear()


_makers: dict[int, sessionmaker[Session]] = {}


def sessionmaker_for(engine: Engine | None = None) -> sessionmaker[Session]:
    engine = engine or get_engine()
    maker = _makers.get(id(engine))
    if maker is None or maker.kw["bind"] is not engine:
        maker = _makers[id(engine)] = sessionmaker(bind=engine, expire_on_commit=False)
    return maker


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = sessionmaker_for(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
