"""A case as a court_export.package.PackageInput: the case.json data and the files.

Only what the court should see: the papers portal.casefile already renders, the signed
agreement and minutes from portal.agreements (through casefile.hooks), and the evidence.
Caucus notes, caucus chat and settlement offers (Online Mediation Rules Art. 18) are never
read here: minutes come from casefile.mapping.minutes_data, which takes only what was said
to everyone, or are the signed minutes, made the same way.

``collect`` reads the database (inside the caller's session); ``source_files`` renders the
papers and copies the evidence out of storage, checking each file's recorded SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.orm import Session

from court_export.package import PackageInput, SourceFile
from court_export.schema import SCHEMA_VERSION
from documents.drafting import DISPUTE_LABELS
from portal.accounts.models import User
from portal.casefile import hooks, mapping, papers
from portal.cases.models import Case, CaseParticipant, ParticipantRole, PartyKind
from portal.filing.courts import Court, Platform
from portal.filing.models import FilingKind
from portal.storage import Storage, iter_reader

PDF = "application/pdf"
FILING_TYPES = {FilingKind.LITIGATION: "litigation",
                FilingKind.CONFIRMATION: "judicial_confirmation"}


class PackageError(Exception):
    """The package cannot be made from what is stored (a file missing or changed)."""


@dataclass(frozen=True)
class Paper:
    """A paper rendered from the case's data (portal.casefile.papers)."""

    path: str
    title: str
    role: str
    kind: str
    data: Any


@dataclass(frozen=True)
class Signed:
    """A PDF signed in the portal, as it was signed."""

    path: str
    title: str
    role: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class Stored:
    """An evidence file in storage."""

    path: str
    title: str
    storage_name: str
    sha256: str
    size: int
    media_type: str
    meta: dict[str, str]
    role: str = "evidence"


Item = Paper | Signed | Stored


@dataclass(frozen=True)
class Contents:
    case: dict[str, Any]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Entry:
    """One file of the package as the preview lists it."""

    path: str
    title: str
    role: str
    size: int


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _phone(session: Session, p: CaseParticipant) -> str:
    if p.phone or p.user_id is None:
        return p.phone
    user = session.get(User, p.user_id)
    return user.phone if user else ""


def _role(p: CaseParticipant, kind: FilingKind) -> str:
    if p.role is ParticipantRole.AGENT:
        return "agent"
    if kind is FilingKind.LITIGATION:
        return "defendant" if p.role is ParticipantRole.RESPONDENT else "plaintiff"
    return "respondent" if p.role is ParticipantRole.RESPONDENT else "applicant"


def participants(session: Session, case: Case, kind: FilingKind) -> list[dict[str, Any]]:
    names = {p.id: p.name for p in case.participants}
    out = []
    for p in case.participants:
        organisation = p.kind is PartyKind.ORGANISATION
        id_type = None
        if p.id_number:
            id_type = "unified_social_credit_code" if organisation else "resident_id_card"
        out.append({
            "role": _role(p, kind), "kind": "organisation" if organisation else "person",
            "name": p.name, "id_type": id_type, "id_number": p.id_number or None,
            "phone": _phone(session, p) or None, "address": p.address or None,
            "represents": names.get(p.represents_id) if p.represents_id else None})
    return out


def history(case: Case) -> list[dict[str, Any]]:
    """Every move of the case, as its timeline shows it (reasons are public there too)."""
    return [{"at": _iso(e.created_at), "event": e.trigger.value, "actor_role": e.actor_role,
             "note": e.reason or None} for e in case.events]


def case_data(session: Session, case: Case, *, kind: FilingKind, court: Court,
              platform: Platform, package_id: str, confirmation_due: dt.date | None,
              now: dt.datetime, filer: User | None = None) -> dict[str, Any]:
    """case.json without its document lists (the builder adds those as it writes them)."""
    body = case.body
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "package_id": package_id,
        "filing_type": FILING_TYPES[kind],
        "court": {"id": court.id, "name": court.name},
        "platform": {"id": platform.id, "name": platform.name},
        "case": {
            "number": case.number, "title": case.title, "dispute_type": case.dispute_type,
            "category": DISPUTE_LABELS.get(case.dispute_type, case.dispute_type),
            "summary": case.summary or None,
            "mediation_body": {"name": body.name, "level": body.level.value} if body else None},
        "case_participants": participants(session, case, kind),
        "claims": [{"text": c.description,
                    "amount": str(c.amount) if c.amount is not None else None,
                    "currency": "CNY"} for c in case.claims],
        "mediation_history": history(case),
        "created_at": _iso(now),
    }
    if filer is not None:
        data["filer"] = {"id": f"user:{filer.id}", "name": filer.name}
    if confirmation_due is not None:
        data["deadlines"] = {"confirmation_due": confirmation_due.isoformat()}
    return data


def _minutes(session: Session, case: Case) -> list[Item]:
    found: list[Item] = []
    for number, meeting in enumerate(mapping.held_sessions(session, case), 1):
        path, title = f"documents/minutes-{number:02d}.pdf", f"调解笔录（第{number}次）"
        signed = hooks.signed_minutes_pdf(session, meeting.id)
        found.append(Signed(path, title, "connected", signed) if signed else
                     Paper(path, title, "connected", "minutes",
                           mapping.minutes_data(session, case, meeting.id, number)))
    return found


def _suffix(name: str) -> str:
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    return suffix if suffix[1:].isalnum() and len(suffix) <= 6 else ""


def _evidence(session: Session, case: Case) -> list[Item]:
    return [Stored(path=f"evidence/{i:02d}{_suffix(r.original_name)}", title=r.original_name,
                   storage_name=r.stored_name, sha256=r.sha256, size=r.size,
                   media_type=r.content_type,
                   meta={"submitted_by": r.uploaded_by.name if r.uploaded_by else "",
                         "submitted_at": _iso(r.created_at), "description": r.description})
            for i, r in enumerate(mapping.evidence_rows(session, case), 1)]


def documents(session: Session, case: Case, kind: FilingKind) -> list[Item]:
    """The lead document first, then the connected ones, then the evidence."""
    items: list[Item] = []
    if kind is FilingKind.LITIGATION:
        items.append(Paper("documents/complaint.pdf", "民事起诉状", "lead", "complaint",
                           mapping.complaint_data(session, case)))
        termination = mapping.termination_data(session, case)
        if termination is not None:
            items.append(Paper("documents/termination.pdf", "调解终结书", "connected",
                               "termination", termination))
    else:
        items.append(Paper("documents/confirmation-application.pdf", "司法确认申请书", "lead",
                           "confirmation", mapping.confirmation_data(session, case)))
        agreement = hooks.signed_agreement_pdf(session, case.id)
        if agreement is not None:
            items.append(Signed("documents/agreement.pdf", "人民调解协议书", "connected",
                                agreement))
    return items + _minutes(session, case) + _evidence(session, case)


def collect(session: Session, case: Case, *, kind: FilingKind, court: Court,
            platform: Platform, package_id: str, confirmation_due: dt.date | None = None,
            now: dt.datetime | None = None, filer: User | None = None) -> Contents:
    data = case_data(session, case, kind=kind, court=court, platform=platform,
                     package_id=package_id, confirmation_due=confirmation_due,
                     now=now or dt.datetime.now(dt.UTC), filer=filer)
    return Contents(data, tuple(documents(session, case, kind)))


def _copy(storage: Storage, item: Stored, target: Path) -> Path:
    """The evidence file out of storage, checked against the hash recorded at upload."""
    digest = hashlib.sha256()
    try:
        reader = storage.open(item.storage_name)
    except FileNotFoundError:
        raise PackageError(f"evidence file {item.title!r} is missing from storage") from None
    try:
        with target.open("wb") as out:
            for chunk in iter_reader(reader):
                digest.update(chunk)
                out.write(chunk)
    finally:
        reader.close()
    if digest.hexdigest() != item.sha256:
        raise PackageError(f"evidence file {item.title!r} does not match its recorded SHA-256")
    return target


def source_files(contents: Contents, storage: Storage, workdir: Path) -> list[SourceFile]:
    """Everything as court_export takes it; evidence is copied into ``workdir`` first."""
    files = []
    for number, item in enumerate(contents.items):
        source: Path | bytes
        meta: dict[str, str] = {}
        media_type = PDF
        if isinstance(item, Paper):
            source = papers.render(item.kind, item.data, storage)
        elif isinstance(item, Signed):
            source = item.content
        else:
            source = _copy(storage, item, workdir / f"{number:04d}.bin")
            meta, media_type = item.meta, item.media_type
        files.append(SourceFile(path=item.path, title=item.title, media_type=media_type,
                                role=item.role, source=source, meta=meta))  # type: ignore[arg-type]
    return files


def package_input(contents: Contents, storage: Storage, workdir: Path) -> PackageInput:
    return PackageInput(package_id=str(contents.case["package_id"]), case=contents.case,
                        files=source_files(contents, storage, workdir))


def listing(contents: Contents, storage: Storage) -> list[Entry]:
    """The package's files with their sizes, for the page where the party reviews it."""
    out = []
    for item in contents.items:
        if isinstance(item, Paper):
            size = len(papers.render(item.kind, item.data, storage))
        elif isinstance(item, Signed):
            size = len(item.content)
        else:
            size = item.size
        out.append(Entry(item.path, item.title, item.role, size))
    return out
