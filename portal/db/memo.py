"""Answers of read-only queries remembered for the rest of one session's transaction.

A case page asks "which areas lie under this dispatcher's area" and "did this grid worker
report this case" once per panel, about ten times a page. The answers cannot change while
the transaction only reads, so they are kept in ``session.info`` and forgotten as soon as
the session writes anything (a flush, or an ORM statement other than a SELECT) or its
transaction ends (commit or rollback: another transaction may have changed the rows since).
Pending, unflushed objects of a watched model bypass the memo, because the query they would
have run autoflushes them first and could answer differently.

Writes that go around the session (``session.connection().execute(...)``) are not seen;
nothing in the portal writes areas or work orders that way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

T = TypeVar("T")

_KEY = "odr.memo"


def remembered(session: Session, key: Hashable, compute: Callable[[], T],
               watch: tuple[type[Any], ...]) -> T:
    """``compute()``, or its answer from earlier in this transaction.

    ``watch`` lists the models the answer is read from: while objects of one of them wait
    to be flushed the memo is bypassed (and the query's autoflush then clears it).
    """
    if _pending(session, watch):
        return compute()
    memo: dict[Hashable, Any] = session.info.setdefault(_KEY, {})
    if key not in memo:
        memo[key] = compute()
    answer: T = memo[key]
    return answer


def forget(session: Session) -> None:
    session.info.pop(_KEY, None)


def _pending(session: Session, watch: tuple[type[Any], ...]) -> bool:
    return any(isinstance(obj, watch)
               for obj in chain(session.new, session.dirty, session.deleted))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    forget(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, _transaction: SessionTransaction) -> None:
    forget(session)


@event.listens_for(Session, "do_orm_execute")
def _after_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        forget(state.session)
