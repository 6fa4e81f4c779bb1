"""Files written inside a transaction go again when that transaction does not commit.

A signed PDF is stored before the row that names it; if the row never commits (an error,
a rollback, a closed session), the file would be an orphan that looks signed.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from portal.db.transactions import inside
from portal.storage import Storage

log = logging.getLogger(__name__)

_PENDING = "odr_files_written"


def discard_unless_committed(session: Session, storage: Storage, name: str) -> None:
    """Delete ``name`` from ``storage`` unless ``session``'s outermost transaction commits."""
    if not session.in_transaction():
        session.begin()  # so there is a transaction whose end decides
    session.info.setdefault(_PENDING, []).append(
        (session.get_nested_transaction(), storage, name))


def _delete(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:
        log.exception("could not delete %s after a rollback", name)


@event.listens_for(Session, "after_commit")
def _kept(session: Session) -> None:
    # Releasing a SAVEPOINT fires this too; only the outermost commit keeps the files.
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_soft_rollback")
def _savepoint_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending and previous_transaction.nested:
        gone = [p for p in pending if inside(p[0], previous_transaction)]
        session.info[_PENDING] = [p for p in pending if p not in gone]
        for _savepoint, storage, name in gone:
            _delete(storage, name)


@event.listens_for(Session, "after_transaction_end")
def _not_committed(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    for _savepoint, storage, name in session.info.pop(_PENDING, []):
        _delete(storage, name)
