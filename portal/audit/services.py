"""The audit chain: append and verify."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.models import AuditEntry, AuditHead
from portal.db.types import utcnow

GENESIS = "0" * 64


def _digest(prev_hash: str, created_at: dt.datetime, kind: str, action: str,
            actor_id: int | None, subject: str, data: str) -> str:
    payload = json.dumps(
        [prev_hash, created_at.astimezone(dt.UTC).isoformat(), kind, action, actor_id,
         subject, data],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    kind: str,
    action: str,
    subject: str,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_hash=GENESIS, count=0)
        session.add(head)
        session.flush()
    # Microsecond precision round-trips on both SQLite and PostgreSQL.
    now = utcnow()
    body = json.dumps(data or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    entry = AuditEntry(
        created_at=now, kind=kind, action=action, actor_id=actor_id, subject=subject,
        data=body, prev_hash=head.last_hash,
        hash=_digest(head.last_hash, now, kind, action, actor_id, subject, body),
    )
    session.add(entry)
    head.last_hash = entry.hash
    head.count += 1
    session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str = ""


def verify_entries(entries: Iterable[AuditEntry], head: AuditHead | None) -> VerifyResult:
    prev = GENESIS
    checked = 0
    for entry in entries:
        if entry.prev_hash != prev:
            return VerifyResult(False, checked, entry.id, "link to the previous entry is broken")
        expected = _digest(entry.prev_hash, entry.created_at, entry.kind, entry.action,
                           entry.actor_id, entry.subject, entry.data)
        if expected != entry.hash:
            return VerifyResult(False, checked, entry.id, "entry content does not match its hash")
        prev = entry.hash
        checked += 1
    if head is not None and (head.last_hash != prev or head.count != checked):
        # Rows deleted from the end leave a valid-looking prefix; the head catches that.
        return VerifyResult(False, checked, None, "the chain ends before its recorded head")
    return VerifyResult(True, checked)


def verify(session: Session) -> VerifyResult:
    entries = session.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    ).scalars()
    head = session.get(AuditHead, 1)
    return verify_entries(entries, head)
