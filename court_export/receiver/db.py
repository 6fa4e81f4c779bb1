"""Engine and sessions for the receiver's own database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from court_export.receiver.models import ReceiverBase


class Database:
    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLite: wait for a writer instead of failing at once when clerks and uploads overlap.
        connect_args = {"timeout": 30} if parsed.get_backend_name() == "sqlite" else {}
        self.engine: Engine = create_engine(url, connect_args=connect_args,
                                            pool_pre_ping=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_all(self) -> None:
        ReceiverBase.metadata.create_all(self.engine)

    def session(self) -> Session:
        return self._sessions()

    def dispose(self) -> None:
        self.engine.dispose()
