"""Evidence files: what may be uploaded, by whom, within which limits, and the record of it.

The bytes go to storage (portal.storage) while the request streams in; the row is written
only after the file is stored, and a caller that fails to write the row deletes the file.
"""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

import filetype
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.accounts.validation import InvalidField
from portal.audit import services as audit
from portal.cases import access
from portal.cases.models import Case, EvidenceFile
from portal.cases.states import TERMINAL, Actor
from portal.config import Settings
from portal.db.types import utcnow
from portal.i18n import N_
from portal.storage import Saved, Storage, TooLarge, new_name

SNIFF_BYTES = 8192
MAX_DESCRIPTION = 500
MAX_NAME = 255
PREFIX = "evidence"


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str


# Keyed by what the content is (sniffed), never by what the file is called.
ALLOWED: dict[str, Kind] = {
    "application/pdf": Kind("pdf", "application/pdf"),
    "image/jpeg": Kind("jpg", "image/jpeg"),
    "image/png": Kind("png", "image/png"),
    "image/gif": Kind("gif", "image/gif"),
    "image/webp": Kind("webp", "image/webp"),
    "image/heic": Kind("heic", "image/heic"),
    "audio/mpeg": Kind("mp3", "audio/mpeg"),
    "audio/mp4": Kind("m4a", "audio/mp4"),
    "audio/x-wav": Kind("wav", "audio/wav"),
    "audio/amr": Kind("amr", "audio/amr"),
    "video/mp4": Kind("mp4", "video/mp4"),
    "video/quicktime": Kind("mov", "video/quicktime"),
    "video/webm": Kind("webm", "video/webm"),
    "application/msword": Kind("doc", "application/msword"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
        Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "application/vnd.ms-excel": Kind("xls", "application/vnd.ms-excel"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "application/vnd.oasis.opendocument.text":
        Kind("odt", "application/vnd.oasis.opendocument.text"),
}
# For the file picker only: the server decides by content.
ACCEPT = ",".join(sorted({f".{k.extension}" for k in ALLOWED.values()}
                         | {".jpeg", "image/*", "audio/*", "video/*"}))
FORMATS = N_("PDF; images (JPEG, PNG, GIF, WebP, HEIC); audio (MP3, M4A, WAV, AMR); "
             "video (MP4, MOV, WebM); office documents (DOC, DOCX, XLS, XLSX, ODT)")
_PROGRAMS = {"application/x-executable", "application/x-msdownload", "application/x-sharedlib",
             "application/x-mach-binary", "application/wasm", "application/x-dosexec"}
_UPLOADERS_ALWAYS = frozenset({Actor.MEDIATOR, Actor.BODY})
# The grid worker adds the photos of a dispute they reported.
_PARTIES = frozenset({Actor.APPLICANT, Actor.RESPONDENT, Actor.REPORTER})


class UploadRefused(Exception):
    """An upload that cannot be accepted; ``message`` is an English msgid with {params}."""

    def __init__(self, status: int, message: str, field: str = "file", **params: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.params = params


class NotAllowed(Exception):
    pass


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    case_bytes: int
    case_files: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.upload_max_file_bytes, settings.upload_max_case_bytes,
                   settings.upload_max_case_files)


@dataclass(frozen=True)
class Target:
    """Where an upload goes, and how much room is left there, checked before reading."""

    case_id: int
    number: str
    limits: Limits
    used_bytes: int

    @property
    def room(self) -> int:
        return min(self.limits.file_bytes, self.limits.case_bytes - self.used_bytes)


@dataclass(frozen=True)
class Received:
    saved: Saved
    kind: Kind


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            text = f"{value:.1f}".rstrip("0").rstrip(".") if unit != "B" else str(size)
            return f"{text} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def display_name(raw: str) -> str:
    """The user's filename made safe to show: no path, no control or direction marks."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:MAX_NAME - len(ext) - 1] + dot + ext if dot and 0 < len(ext) <= 10
                else name[:MAX_NAME])
    return name or "file"


def check_description(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidField("description", N_("Say what this file shows."))
    if len(text) > MAX_DESCRIPTION:
        raise InvalidField("description", N_("Keep the description under 500 characters."))
    return text


def sniff(head: bytes) -> Kind:
    guess = filetype.guess(head)
    mime = guess.mime if guess is not None else None
    if mime in ALLOWED:
        return ALLOWED[mime]
    if mime in _PROGRAMS or head[:2] == b"MZ" or head[:4] == b"\x7fELF":
        raise UploadRefused(415, N_("This file is a program, not a document, whatever its "
                                    "name says. Programs are not accepted as evidence."))
    raise UploadRefused(415, N_("This kind of file is not accepted. Accepted formats: "
                                "{formats}."), formats=FORMATS)


def may_upload(session: Session, case: Case, user: User) -> bool:
    """Parties and the reporting grid worker while the case is open (drafts too), its
    mediator, its body's administrator."""
    capacities = access.capacities(session, case, user)
    if capacities & _UPLOADERS_ALWAYS:
        return True
    return bool(capacities & _PARTIES) and case.status not in TERMINAL


def _totals(session: Session, case_id: int) -> tuple[int, int]:
    used, count = session.execute(
        select(func.coalesce(func.sum(EvidenceFile.size), 0), func.count(EvidenceFile.id))
        .where(EvidenceFile.case_id == case_id)
    ).one()
    return int(used), int(count)


def _check_room(limits: Limits, used: int, count: int, adding: int) -> None:
    if count >= limits.case_files:
        raise UploadRefused(413, N_("A case can have at most {count} evidence files."),
                            count=limits.case_files)
    if used + adding > limits.case_bytes or used >= limits.case_bytes:
        raise UploadRefused(
            413, N_("The evidence of a case may total at most {limit}; {left} is left."),
            limit=human_size(limits.case_bytes),
            left=human_size(max(0, limits.case_bytes - used)))


def target(session: Session, *, case: Case, user: User, limits: Limits) -> Target:
    """Check, before the body is read, that ``user`` may upload to ``case`` and there is room."""
    if not may_upload(session, case, user):
        raise NotAllowed(case.number)
    used, count = _totals(session, case.id)
    _check_room(limits, used, count, 0)
    return Target(case.id, case.number, limits, used)


async def receive(storage: Storage, chunks: AsyncIterable[bytes], *, to: Target) -> Received:
    """Sniff the first bytes, then stream the rest to storage within the limits."""
    it = aiter(chunks)
    head = b""
    while len(head) < SNIFF_BYTES:
        try:
            head += await anext(it)
        except StopAsyncIteration:
            break
    if not head:
        raise UploadRefused(400, N_("The file is empty."))
    kind = sniff(head)

    async def stream() -> AsyncIterator[bytes]:
        yield head
        async for chunk in it:
            yield chunk

    try:
        saved = await storage.save(new_name(PREFIX, kind.extension), stream(),
                                   max_size=to.room)
    except TooLarge:
        raise too_large(to) from None
    return Received(saved, kind)


def too_large(to: Target) -> UploadRefused:
    """The refusal for a file past ``to.room``, naming whichever limit is the tighter."""
    if to.room >= to.limits.file_bytes:
        return UploadRefused(413, N_("The file is larger than the limit of {limit}."),
                             limit=human_size(to.limits.file_bytes))
    return UploadRefused(
        413, N_("The evidence of a case may total at most {limit}; {left} is left."),
        limit=human_size(to.limits.case_bytes), left=human_size(max(0, to.room)))


def record(session: Session, *, to: Target, user_id: int, received: Received,
           original_name: str, description: str) -> EvidenceFile:
    """The row for a stored file; checks again under a lock, as uploads run concurrently."""
    case = session.execute(
        select(Case).where(Case.id == to.case_id).with_for_update()
    ).scalar_one()
    user = session.get(User, user_id)
    if user is None or not may_upload(session, case, user):
        raise NotAllowed(case.number)
    used, count = _totals(session, case.id)
    _check_room(to.limits, used, count, received.saved.size)
    row = EvidenceFile(
        case_id=case.id, uploaded_by_id=user.id, original_name=display_name(original_name),
        stored_name=received.saved.name, content_type=received.kind.content_type,
        size=received.saved.size, sha256=received.saved.sha256,
        description=check_description(description),
    )
    session.add(row)
    case.updated_at = utcnow()
    session.flush()
    audit.append(session, kind="case", action="evidence.uploaded", subject=f"case:{case.number}",
                 actor_id=user.id,
                 data={"evidence": row.id, "name": row.original_name, "size": row.size,
                       "sha256": row.sha256, "content_type": row.content_type})
    return row


def files_of(session: Session, case: Case) -> list[EvidenceFile]:
    return list(session.execute(
        select(EvidenceFile).where(EvidenceFile.case_id == case.id)
        .options(selectinload(EvidenceFile.uploaded_by)).order_by(EvidenceFile.id)
    ).scalars())


def get_file(session: Session, *, case: Case, evidence_id: int) -> EvidenceFile | None:
    row = session.get(EvidenceFile, evidence_id)
    return row if row is not None and row.case_id == case.id else None
