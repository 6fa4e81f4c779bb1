"""Small helpers for work tied to a transaction's outcome (tasks sent, files kept)."""

from __future__ import annotations

from sqlalchemy.orm import SessionTransaction


def inside(savepoint: SessionTransaction | None, target: SessionTransaction) -> bool:
    """Whether ``savepoint`` is ``target`` or nested in it: work queued there goes when
    ``target`` rolls back."""
    while savepoint is not None:
        if savepoint is target:
            return True
        savepoint = savepoint.parent
    return False
