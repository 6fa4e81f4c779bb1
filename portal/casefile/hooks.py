"""Signed papers from portal.agreements, used when that package provides them.

The agreement and minutes are signed there (issue 6, points 2, 3 and 5). Until it offers
these functions, the dossier falls back to papers generated from the case's data:

* ``signed_agreement_pdf(session, case_id) -> bytes | None``
* ``signed_minutes_pdf(session, meeting_id) -> bytes | None``
* ``agreement_terms(session, case_id) -> Sequence[str] | None`` (for the judicial confirmation)

Each is looked up on ``portal.agreements`` and then ``portal.agreements.services``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

MODULES = ("portal.agreements", "portal.agreements.services")


def provided(name: str) -> Callable[..., Any] | None:
    """The function ``name`` of portal.agreements, or None while it does not exist."""
    for module_name in MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only the module itself being absent is expected; a broken import inside it is not.
            if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                continue
            raise
        fn: Callable[..., Any] | None = getattr(module, name, None)
        if callable(fn):
            return fn
    return None


def _pdf(name: str, session: Session, key: int) -> bytes | None:
    fn = provided(name)
    if fn is None:
        return None
    result = fn(session, key)
    if result is not None and not isinstance(result, bytes):
        log.warning("portal.agreements %s returned %s, not bytes; ignored", name, type(result))
        return None
    return result


def signed_agreement_pdf(session: Session, case_id: int) -> bytes | None:
    return _pdf("signed_agreement_pdf", session, case_id)


def signed_minutes_pdf(session: Session, meeting_id: int) -> bytes | None:
    return _pdf("signed_minutes_pdf", session, meeting_id)


def agreement_terms(session: Session, case_id: int) -> list[str] | None:
    fn = provided("agreement_terms")
    if fn is None:
        return None
    terms = fn(session, case_id)
    if isinstance(terms, Sequence) and not isinstance(terms, str) and all(
            isinstance(t, str) for t in terms):
        return list(terms) or None
    return None
