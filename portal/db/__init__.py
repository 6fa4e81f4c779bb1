"""Database: engine, sessions, declarative base."""

from portal.db.base import Base
from portal.db.session import get_engine, reset_engine, session_scope, sessionmaker_for

__all__ = ["Base", "get_engine", "reset_engine", "session_scope", "sessionmaker_for"]
