"""The database half of a backup: dump to one file and restore from it, per engine kind."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Protocol

from sqlalchemy import create_engine, inspect, select, table
from sqlalchemy.engine import URL, make_url

from portal.db.session import normalise_url, reset_engine

# Migration bookkeeping, present in every migrated database: not content.
BOOKKEEPING = frozenset({"alembic_version"})


class BackupError(RuntimeError):
    """The backup cannot be made or restored; the message says why and what to do."""


class Database(Protocol):
    kind: str
    dump_name: str

    def dump(self, target: Path) -> None: ...

    def restore(self, dump: Path) -> None: ...

    def tables_with_rows(self) -> list[str]: ...


def _tables_with_rows(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = [n for n in inspect(conn).get_table_names() if n not in BOOKKEEPING]
            return [n for n in names
                    if conn.execute(select(1).select_from(table(n)).limit(1)).first()]
    finally:
        engine.dispose()


class SQLiteDatabase:
    kind = "sqlite"
    dump_name = "odr.sqlite3"

    def __init__(self, path: Path) -> None:
        self.path = path

    def dump(self, target: Path) -> None:
        if not self.path.is_file():
            raise BackupError(f"The database file {self.path} does not exist.")
        # The online backup API copies a consistent snapshot, WAL content included, while
        # the portal keeps writing.
        with closing(sqlite3.connect(self.path)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)

    def restore(self, dump: Path) -> None:
        # No pooled connection may keep pages of the database being replaced.
        reset_engine()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(dump)) as src, closing(sqlite3.connect(self.path)) as dst:
            src.backup(dst)
        reset_engine()

    def tables_with_rows(self) -> list[str]:
        if not self.path.is_file():
            return []
        return _tables_with_rows(f"sqlite:///{self.path}")


class PostgresDatabase:
    kind = "postgresql"
    dump_name = "odr.pgdump"

    def __init__(self, url: URL) -> None:
        self.url = url

    def _run(self, tool: str, *args: str) -> None:
        exe = shutil.which(tool)
        if exe is None:
            raise BackupError(f"{tool} is not installed; install the PostgreSQL client tools "
                              "of the server's major version (Debian: postgresql-client).")
        # libpq reads the password from the environment: never on a command line.
        env = dict(os.environ)
        if self.url.password:
            env["PGPASSWORD"] = str(self.url.password)
        conninfo = self.url.set(drivername="postgresql", password=None)
        done = subprocess.run(  # noqa: S603 (fixed tool, arguments from our settings)
            [exe, *args, f"--dbname={conninfo.render_as_string(hide_password=False)}"],
            env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BackupError(f"{tool} failed: {done.stderr.strip()[-2000:]}")

    def dump(self, target: Path) -> None:
        self._run("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={target}")

    def restore(self, dump: Path) -> None:
        # --clean drops what a migrated but empty target already has (tables, types).
        self._run("pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists",
                  "--single-transaction", "--exit-on-error", str(dump))
        reset_engine()

    def tables_with_rows(self) -> list[str]:
        return _tables_with_rows(self.url.render_as_string(hide_password=False))


def database_for(url: str) -> Database:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise BackupError("An in-memory SQLite database cannot be backed up.")
        return SQLiteDatabase(Path(parsed.database))
    if parsed.get_backend_name() == "postgresql":
        return PostgresDatabase(parsed)
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {parsed.get_backend_name()}.")
