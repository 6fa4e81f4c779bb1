"""Where generated rows go: binary COPY on PostgreSQL, Core executemany elsewhere.

On PostgreSQL a large load may also set the tables' plain indexes aside and build them
again at the end (``without_indexes``): building an index once is several times faster than
updating it row by row. Indexes that back a constraint (primary keys, unique) stay.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import BigInteger, Boolean, Date, Integer, Numeric, insert, text
from sqlalchemy.orm import Session

from portal.analytics.generate_history import COLUMNS
from portal.db.base import Base
from portal.db.types import UTCDateTime


class Sink(Protocol):
    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None: ...

    def close(self) -> None: ...


class CopySink:
    """PostgreSQL: binary COPY through the session's connection, from a thread of its own,
    so that the next batch is made while the database takes in the last one."""

    def __init__(self, session: Session) -> None:
        driver = session.connection().connection.driver_connection
        assert driver is not None
        self.driver = driver
        # Foreign-key triggers off for the load (the rows are consistent by construction),
        # when the account may: checking millions of rows one by one takes most of the time.
        if session.execute(text(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
            session.execute(text("SET LOCAL session_replication_role = replica"))
        self.types = {name: [_pg_type(Base.metadata.tables[name].c[c]) for c in columns]
                      for name, columns in COLUMNS.items()}
        self.queue: queue.Queue[tuple[str, list[tuple[Any, ...]]] | None] = queue.Queue(8)
        self.failed: Exception | None = None
        self.thread = threading.Thread(target=self._run, name="odr-copy", daemon=True)
        self.thread.start()

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        if self.failed is not None:
            raise self.failed
        self.queue.put((table, rows))

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.failed is not None:
                continue  # drain: the main thread raises at its next write or at close
            table, rows = item
            try:
                with self.driver.cursor() as cursor, cursor.copy(
                        f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN "
                        "(FORMAT BINARY)") as copy:
                    copy.set_types(self.types[table])
                    for row in rows:
                        copy.write_row(row)
            except Exception as exc:  # handed to the main thread
                self.failed = exc

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.failed is not None:
            raise self.failed


def _pg_type(column: Any) -> str:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "timestamptz"
    for sql_type, name in ((BigInteger, "int8"), (Integer, "int4"), (Boolean, "bool"),
                           (Numeric, "numeric"), (Date, "date")):
        if isinstance(kind, sql_type):
            return name
    return "text"


class InsertSink:
    def __init__(self, session: Session, batch: int = 5000) -> None:
        self.session, self.batch = session, batch

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        statement = insert(Base.metadata.tables[table])
        names = COLUMNS[table]
        for n in range(0, len(rows), self.batch):
            self.session.execute(statement, [dict(zip(names, row, strict=True))
                                             for row in rows[n:n + self.batch]])

    def close(self) -> None:
        pass


def sink_for(session: Session) -> Sink:
    if session.get_bind().dialect.name == "postgresql":
        return CopySink(session)
    return InsertSink(session)


def without_indexes(session: Session, tables: Iterable[str]) -> list[str]:
    """Drop the plain indexes of ``tables`` (PostgreSQL); returns the statements that make
    them again. The drop is part of the transaction: a failed load brings them back."""
    found = session.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = "
        "current_schema() AND i.tablename = ANY(:tables) AND NOT EXISTS (SELECT 1 FROM "
        "pg_constraint c WHERE c.conname = i.indexname)"), {"tables": list(tables)}).all()
    for name, _ in found:
        session.execute(text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in found]


def restore_indexes(session: Session, statements: list[str]) -> None:
    if not statements:
        return
    session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    for statement in statements:
        session.execute(text(statement))
