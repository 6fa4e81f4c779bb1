"""Glue between async views and the sync domain services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.db import session_scope

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class CurrentUser:
    """What the templates and checks need of the logged-in user, detached from any session."""

    id: int
    name: str
    role: Role
    session_id: str
    body_id: int | None
    area_id: int | None
    locale: str | None

    @classmethod
    def from_user(cls, user: User, session_id: str) -> CurrentUser:
        return cls(user.id, user.name, user.role, session_id, user.body_id, user.area_id,
                   user.locale)


def _in_session(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    with session_scope() as session:
        return fn(session, *args, **kwargs)


async def in_db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(session, *args, **kwargs)`` in a worker thread as one transaction."""
    return await run_in_threadpool(_in_session, fn, args, kwargs)


def current_user(conn: HTTPConnection) -> CurrentUser | None:
    user = conn.scope.get("odr.user")
    assert user is None or isinstance(user, CurrentUser)
    return user


def load_user(session: Session, current: CurrentUser) -> User:
    user = session.get(User, current.id)
    assert user is not None
    return user


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"
