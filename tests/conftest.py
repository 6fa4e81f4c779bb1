"""Test settings are fixed before any portal module is imported."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_VAR = Path(tempfile.mkdtemp(prefix="odr-test-"))
POSTGRES_URL = os.environ.get("ODR_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("ODR_TEST_REDIS_URL", "")
os.environ.update({
    "ODR_ENV": "test",
    "ODR_VAR_DIR": str(_VAR),
    "ODR_DATABASE_URL": POSTGRES_URL or f"sqlite:///{_VAR / 'test.sqlite3'}",
    "ODR_BROKER_URL": "",
    "ODR_EAGER_PROPAGATES": "true",
    "ODR_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    "ODR_DEMO_DATA": "false",
    # Tests run periodic work themselves, at the moment they choose.
    "ODR_EMBEDDED_BEAT": "false",
})

import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from portal.accounts import ratelimit  # noqa: E402
from portal.db import get_engine, sessionmaker_for  # noqa: E402
from portal.models import Base  # noqa: E402
from tests import factories  # noqa: E402


def pytest_report_header() -> list[str]:
    db = "PostgreSQL" if POSTGRES_URL else "SQLite"
    return [f"odr: database={db}, redis={'yes' if REDIS_URL else 'no'}"]


@pytest.fixture(scope="session", autouse=True)
def _schema() -> Iterator[None]:
    engine = get_engine()
    if POSTGRES_URL:
        # A clean schema per run: earlier runs or other projects may have left tables.
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    # The models define the test schema; tests/unit/db/test_migrations.py proves the
    # Alembic migrations build the same one.
    Base.metadata.create_all(engine)
    yield


def _wipe() -> None:
    engine = get_engine()
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if POSTGRES_URL:
            # TRUNCATE costs per table (~3 ms each, ~80 tables): empty only the tables a
            # test wrote to, then restart every sequence it used, so ids start at 1 again.
            probe = " UNION ALL ".join(
                f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {t.name})"  # noqa: S608
                for t in tables)
            used = [row[0] for row in conn.execute(text(probe))]
            if used:
                conn.execute(text(f"TRUNCATE {', '.join(used)} CASCADE"))
            conn.execute(text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)"
                " FROM pg_sequences WHERE schemaname = current_schema()"
                " AND last_value IS NOT NULL"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    ratelimit.reset()
    yield
    _wipe()


@pytest.fixture
def db() -> Iterator[Session]:
    session = sessionmaker_for()()
    factories.bind(session)
    try:
        yield session
    finally:
        session.rollback()
        session.close()
