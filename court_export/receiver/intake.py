"""Taking in a package: stream it to disk under a size limit, verify, keep it, answer.

Nothing is half-written: a refused upload leaves no row and no file, and an accepted one
is moved into storage by one rename inside the transaction that records it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from court_export.package import Limits, PackageRejected, VerifiedPackage, verify_package
from court_export.receiver.context import Court
from court_export.receiver.models import Filing, utcnow
from court_export.receiver.records import iso_utc, issue_notice

_FLUSH_BYTES = 1 << 20


class Refused(Exception):
    """An upload the court does not take; becomes ``{"error": code, "detail": detail}``."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Upload:
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


async def spool(chunks: AsyncIterator[bytes], directory: Path, limit: int) -> Upload:
    """Write the request body to a temp file, hashing as it goes; stop at ``limit`` bytes."""
    fd, name = tempfile.mkstemp(dir=directory, suffix=".zip.part")
    path = Path(name)
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray()
    try:
        with os.fdopen(fd, "wb") as fh:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise Refused(413, "too_large",
                                  f"The package is larger than {limit} bytes.")
                digest.update(chunk)
                buffer += chunk
                if len(buffer) >= _FLUSH_BYTES:
                    await anyio.to_thread.run_sync(fh.write, bytes(buffer))
                    buffer.clear()
            await anyio.to_thread.run_sync(_finish, fh, bytes(buffer))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Upload(path=path, sha256=digest.hexdigest(), size=size)


def _finish(fh: Any, rest: bytes) -> None:
    fh.write(rest)
    fh.flush()
    os.fsync(fh.fileno())


def admit(court: Court, upload: Upload, idempotency_key: str) -> Answer:
    """Record a new filing for the upload, or give the first answer for a repeated key.

    Blocking (verification reads the whole package): run it in a worker thread.
    """
    earlier = _earlier_answer(court, upload, idempotency_key)
    if earlier is not None:
        return earlier
    verified = _verify(court, upload, idempotency_key)
    case = verified.case
    now = utcnow()
    filing_id = str(uuid.uuid4())
    stored_name = f"{filing_id}.zip"
    final = court.package_path(stored_name)
    filing = Filing(
        id=filing_id, package_id=verified.package_id, platform_id=_platform_id(case),
        kid=verified.kid, filing_type=str(case["filing_type"]), status="received",
        case_number=str(case.get("case", {}).get("number", ""))[:200],
        title=str(case.get("case", {}).get("title", ""))[:500],
        case_json=json.dumps(case, ensure_ascii=False), body_sha256=upload.sha256,
        size=upload.size, stored_name=stored_name, first_response="", received_at=now,
    )
    moved = False
    with court.db.session() as session:
        try:
            session.add(filing)
            session.flush()  # a concurrent POST with the same key fails here
            notice = issue_notice(session, court, filing, "received", now=now)
            body = {"filing_id": filing_id, "package_id": filing.package_id,
                    "status": "received", "received_at": iso_utc(now), "notice": notice.token}
            filing.first_response = json.dumps(body, ensure_ascii=False)
            os.replace(upload.path, final)
            moved = True
            session.commit()
        except IntegrityError:
            session.rollback()
            if moved:
                final.unlink(missing_ok=True)
            earlier = _earlier_answer(court, upload, idempotency_key)
            if earlier is None:
                raise
            return earlier
        except BaseException:
            session.rollback()
            if moved:
                final.unlink(missing_ok=True)
            raise
    return Answer(201, body)


def _earlier_answer(court: Court, upload: Upload, key: str) -> Answer | None:
    with court.db.session() as session:
        filing = session.scalars(select(Filing).where(Filing.package_id == key)).first()
        if filing is None:
            return None
        if filing.body_sha256 != upload.sha256:
            raise Refused(409, "idempotency_conflict",
                          "This Idempotency-Key was already used for a different package.")
        return Answer(201, json.loads(filing.first_response), replayed=True)


def _verify(court: Court, upload: Upload, key: str) -> VerifiedPackage:
    keys, owners = court.config.platform_keys()
    limits = Limits(max_package_bytes=court.config.max_package_bytes)
    try:
        verified = verify_package(upload.path, keys, limits)
    except PackageRejected as exc:
        raise Refused(422, exc.code, exc.detail) from exc
    case = verified.case
    if verified.package_id != key:
        raise Refused(422, "idempotency_key_mismatch",
                      "The Idempotency-Key must be the package id of the package.")
    court_id = case.get("court", {}).get("id")
    if court_id != court.config.court_id:
        raise Refused(422, "wrong_court",
                      f"The package is addressed to court {court_id!r}, "
                      f"not to {court.config.court_id!r}.")
    if owners.get(verified.kid) != _platform_id(case):
        raise Refused(422, "platform_mismatch",
                      "The package was signed with a key of another platform than the "
                      "one it names as filer.")
    if case.get("filing_type") not in court.config.docket_formats:
        raise Refused(422, "unsupported_filing_type",
                      f"This court does not take filings of type {case.get('filing_type')!r}.")
    return verified


def _platform_id(case: dict[str, Any]) -> str:
    # "platform" names the platform that built and signed; "filer" is a person.
    return str((case.get("platform") or {}).get("id", ""))
