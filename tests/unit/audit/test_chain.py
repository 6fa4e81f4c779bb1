import itertools
import os
import subprocess
import sys

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.audit.models import AuditEntry


def _fill(db: Session, n: int = 5) -> list[AuditEntry]:
    entries = [audit.append(db, kind="security", action="login", subject=f"user:{i}",
                            actor_id=i, data={"i": i, "名": "张三"}) for i in range(n)]
    db.commit()
    return entries


def test_chain_links_each_row_to_the_previous(db: Session) -> None:
    entries = _fill(db)
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert audit.verify(db) == audit.VerifyResult(True, 5)


def test_edited_row_is_found(db: Session) -> None:
    entries = _fill(db)
    db.execute(update(AuditEntry).where(AuditEntry.id == entries[2].id)
               .values(data='{"i":99}'))
    db.commit()
    result = audit.verify(db)
    assert not result.ok and result.broken_id == entries[2].id and result.checked == 2


def test_rehashed_row_breaks_the_next_link(db: Session) -> None:
    entries = _fill(db)
    # A careful forger recomputes the edited row's own hash; the next row still points
    # at the old one.
    e = entries[1]
    forged = audit._digest(e.prev_hash, e.created_at, e.kind, "logout", e.actor_id, e.subject,
                           e.data)
    db.execute(update(AuditEntry).where(AuditEntry.id == e.id)
               .values(action="logout", hash=forged))
    db.commit()
    result = audit.verify(db)
    assert not result.ok and result.broken_id == entries[2].id


def test_deleted_tail_is_found(db: Session) -> None:
    entries = _fill(db)
    db.execute(delete(AuditEntry).where(AuditEntry.id == entries[-1].id))
    db.commit()
    result = audit.verify(db)
    assert not result.ok and result.broken_id is None


def test_cli_reports_first_broken_link(db: Session) -> None:
    entries = _fill(db, 3)
    env = dict(os.environ)
    ok = subprocess.run([sys.executable, "-m", "portal.cli", "audit", "verify"], env=env,
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "intact: 3 entries" in ok.stdout
    db.execute(update(AuditEntry).where(AuditEntry.id == entries[1].id).values(subject="x"))
    db.commit()
    bad = subprocess.run([sys.executable, "-m", "portal.cli", "audit", "verify"], env=env,
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert f"BROKEN at entry {entries[1].id}" in bad.stderr
    ids = db.execute(select(AuditEntry.id).order_by(AuditEntry.id)).scalars().all()
    assert ids == [e.id for e in entries]
