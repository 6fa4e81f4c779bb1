from __future__ import annotations

from sqlalchemy.orm import Session

from portal.agreements.files import discard_unless_committed
from portal.storage import Storage, new_name


def _write(storage: Storage) -> str:
    return storage.save_sync(new_name("signing", "pdf"), [b"%PDF-1.7 test"]).name


def test_kept_when_the_transaction_commits(db: Session, storage: Storage) -> None:
    name = _write(storage)
    discard_unless_committed(db, storage, name)
    db.commit()
    assert storage.exists(name)
    db.rollback()  # a later rollback does not reach back
    assert storage.exists(name)
    storage.delete(name)


def test_deleted_when_the_transaction_rolls_back(db: Session, storage: Storage) -> None:
    name = _write(storage)
    discard_unless_committed(db, storage, name)
    db.rollback()
    assert not storage.exists(name)


def test_deleted_with_its_savepoint_only(db: Session, storage: Storage) -> None:
    outer = _write(storage)
    discard_unless_committed(db, storage, outer)
    savepoint = db.begin_nested()
    inner = _write(storage)
    discard_unless_committed(db, storage, inner)
    savepoint.rollback()
    assert not storage.exists(inner) and storage.exists(outer)
    db.commit()
    assert storage.exists(outer)
    storage.delete(outer)


def test_deleted_when_the_session_closes_without_commit(db: Session, storage: Storage) -> None:
    name = _write(storage)
    db.begin()
    discard_unless_committed(db, storage, name)
    db.close()
    assert not storage.exists(name)
