"""Checking a PDF: its signatures (documents.verify) and whether the portal recorded its hash."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.ca import PlatformCA
from documents.verify import Report, verify_pdf
from portal.agreements.signing import AUDIT_KIND, audit_subject
from portal.audit.models import AuditEntry


@dataclass(frozen=True)
class AuditMatch:
    entry_id: int
    at: dt.datetime
    action: str  # document.rendered (unsigned original) or document.signed
    case_number: str
    field: str  # the signature that produced this file; "" for the original


def find_in_audit(session: Session, sha256: str) -> AuditMatch | None:
    """The audit entry written when a file with this hash was stored, if any."""
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.subject == audit_subject(sha256.lower()),
                                 AuditEntry.kind == AUDIT_KIND)
        .order_by(AuditEntry.id).limit(1)).scalar_one_or_none()
    if entry is None:
        return None
    data = json.loads(entry.data)
    return AuditMatch(entry.id, entry.created_at, entry.action, str(data.get("case", "")),
                      str(data.get("field", "")))


@dataclass(frozen=True)
class Verification:
    report: Report
    audit: AuditMatch | None


def check_signatures(data: bytes, ca: PlatformCA) -> Report:
    """Blocking (pyHanko): run it in a thread or a worker, never in the event loop."""
    return verify_pdf(data, ca.trust_roots())


def verify(session: Session, data: bytes, ca: PlatformCA) -> Verification:
    report = check_signatures(data, ca)
    return Verification(report, find_in_audit(session, report.sha256))


def describe(result: Verification) -> list[str]:
    """The result as lines of plain text (the ``odr documents verify`` command)."""
    report = result.report
    lines = [f"file: sha256 {report.sha256}, {report.size} bytes"]
    if result.audit is None:
        lines.append("audit chain: NOT FOUND (the portal never stored this exact file)")
    else:
        found = result.audit
        lines.append(f"audit chain: found, entry {found.entry_id} ({found.action}, case "
                     f"{found.case_number}, {found.at.isoformat(timespec='seconds')})")
    if report.error is not None:
        lines.append(f"error: {report.error}")
        return lines
    for s in report.signatures:
        when = s.timestamp or s.signing_time
        later = ("nothing" if not s.modified_after
                 else "later signatures only" if s.modification in ("form_filling",
                                                                      "lta_updates")
                 else f"YES ({s.modification})")
        lines.append(f"signature {s.field_name}: {s.signer}, "
                     f"{when.isoformat(timespec='seconds') if when else 'no time'}, "
                     f"intact={'yes' if s.intact and s.valid else 'NO'}, "
                     f"trusted={'yes' if s.trusted else 'NO'}, changed after: {later}")
        lines += [f"  problem: {p}" for p in s.problems]
    lines.append("result: " + ("OK, every signature is intact and trusted" if report.ok
                               else "NOT OK"))
    return lines
