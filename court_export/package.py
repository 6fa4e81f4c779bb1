"""Building a signed case package; verifying one is in court_export.verify (re-exported here).

One pass: each source is read once, hashed on the side while it is written into the ZIP
(STORED), then data/case.json (with those hashes and sizes), the tag files and the detached
signature are written (court_export.writing). The ZIP appears at ``out`` complete or not at
all, synced to disk.
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from court_export import bag
from court_export.errors import PackageRejected
from court_export.keys import SigningKey
from court_export.schema import SCHEMA_VERSION, validate_case
from court_export.streams import FlushBehind, file_sha256
from court_export.verify import Limits, VerifiedPackage, read_member, verify_package
from court_export.writing import BagWriter
from court_export.zipwrite import ZipWriter

__all__ = [
    "BuiltPackage",
    "Limits",
    "PackageInput",
    "PackageRejected",
    "SourceFile",
    "VerifiedPackage",
    "build_package",
    "read_member",
    "verify_package",
]

Role = Literal["lead", "connected", "evidence"]
_FOLDER: dict[str, str] = {"lead": "documents/", "connected": "documents/", "evidence": "evidence/"}
_BUILDER_KEYS = ("lead_document", "connected_documents", "evidence")


@dataclass(frozen=True)
class SourceFile:
    path: str                   # relative to data/: "documents/…" or "evidence/…"
    title: str
    media_type: str
    role: Role
    source: Path | bytes        # a file on disk (streamed) or bytes in memory
    meta: Mapping[str, str] = field(default_factory=dict)  # evidence: submitted_by, submitted_at


@dataclass(frozen=True)
class PackageInput:
    package_id: str             # uuid4: also the bag name and the Idempotency-Key
    case: Mapping[str, Any]     # case.json without the documents, which the builder adds
    files: Sequence[SourceFile]


@dataclass(frozen=True)
class BuiltPackage:
    package_id: str
    path: Path
    size: int
    members: tuple[str, ...]    # relative to the bag root, in ZIP order
    payload_oxum: str

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the whole ZIP, read on first use: building never reads the ZIP back."""
        return file_sha256(self.path)


def _source_size(source: Path | bytes) -> int:
    if isinstance(source, bytes):
        return len(source)
    info = source.stat()
    if not stat.S_ISREG(info.st_mode):
        raise PackageRejected("bad_input", f"{source} is not a regular file")
    return info.st_size


def _plan(inp: PackageInput, limits: Limits) -> list[int]:
    """Check the input before any byte is written; the size of each source."""
    if sum(f.role == "lead" for f in inp.files) != 1:
        raise PackageRejected("bad_input", "a package needs exactly one lead document")
    if len(inp.files) + len(bag.TAG_FILES) + 1 > limits.max_members:
        raise PackageRejected("oversized", f"more than {limits.max_members} members")
    seen: set[str] = set()
    sizes = []
    for source in inp.files:
        bag.check_path(source.path)
        if not source.path.startswith(_FOLDER[source.role]):
            raise PackageRejected("bad_input", f"a {source.role} file belongs under "
                                  f"{_FOLDER[source.role]}, not at {source.path}")
        if source.path.casefold() in seen:
            raise PackageRejected("duplicate_member", f"{source.path} is given twice")
        seen.add(source.path.casefold())
        sizes.append(_source_size(source.source))
        if sizes[-1] > limits.max_member_bytes:
            raise PackageRejected("oversized", f"{source.path} is larger than "
                                  f"{limits.max_member_bytes} bytes")
    if sum(sizes) > limits.max_package_bytes:
        raise PackageRejected("oversized", f"the files exceed {limits.max_package_bytes} bytes")
    return sizes


def _case(inp: PackageInput, documents: Sequence[dict[str, Any]], created: datetime,
          ) -> dict[str, Any]:
    given = dict(inp.case)
    for name in _BUILDER_KEYS:
        if name in given:
            raise PackageRejected("bad_input", f"case data must not contain {name}: the "
                                  "builder writes it")
    for name, value in (("schema_version", SCHEMA_VERSION), ("package_id", inp.package_id)):
        if given.pop(name, value) != value:
            raise PackageRejected("bad_input", f"case data gives another {name} than {value}")
    roles = [source.role for source in inp.files]
    case: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "package_id": inp.package_id}
    case.update(given)
    case["lead_document"] = documents[roles.index("lead")]
    case["connected_documents"] = [d for d, r in zip(documents, roles, strict=True)
                                   if r == "connected"]
    case["evidence"] = [d for d, r in zip(documents, roles, strict=True) if r == "evidence"]
    case.setdefault("created_at", created.isoformat().replace("+00:00", "Z"))
    return case


def _document(source: SourceFile, digest: str, size: int) -> dict[str, Any]:
    return {"path": source.path, "title": source.title, "media_type": source.media_type,
            "sha256": digest, "size": size, **source.meta}


def _write(writer: BagWriter, inp: PackageInput, key: SigningKey, sizes: list[int],
           created: datetime) -> tuple[list[str], str]:
    """The payload, then case.json with its hashes, then the tag files; members and Oxum."""
    digests = writer.payload([(f.path, f.source, size)
                              for f, size in zip(inp.files, sizes, strict=True)])
    documents = [_document(f, d, s) for f, d, s in zip(inp.files, digests, sizes, strict=True)]
    case = _case(inp, documents, created)
    validate_case(case)
    case_json = (json.dumps(case, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    payload = [("data/" + d["path"], d["sha256"]) for d in documents]
    oxum = writer.finish(case_json, payload, key, {
        "Bag-Software-Agent": bag.SOFTWARE,
        "Bagging-Date": created.date().isoformat(),
        "External-Identifier": inp.package_id,
        "Internal-Sender-Identifier": str(case["case"]["number"]),
        "Source-Organization": str(case["platform"]["name"]),
    })
    return writer.members, oxum


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build_package(inp: PackageInput, out: Path, key: SigningKey, *,
                  limits: Limits = Limits(),  # noqa: B008 (frozen)
                  sync: bool = True) -> BuiltPackage:
    """Write the signed package to ``out`` (replaced atomically, synced to disk).

    ``sync=False`` skips the syncs, for a package written to a scratch directory and then
    copied into storage that syncs its own copy (the portal): syncing both would pay
    for the disk twice.

    PackageRejected for input that cannot make a valid package (bad_input, schema_invalid,
    path_traversal, unsafe_name, duplicate_member, oversized, source_changed); OSError for I/O.
    """
    if not bag.PACKAGE_ID.fullmatch(inp.package_id):
        raise PackageRejected("bad_input", f"package id {inp.package_id!r} is not a "
                              "lowercase UUID")
    sizes = _plan(inp, limits)
    created = datetime.now(UTC).replace(microsecond=0)
    # Refuse bad case data before hours of hashing: placeholders stand for the hashes.
    validate_case(_case(inp, [_document(f, "0" * 64, s)
                              for f, s in zip(inp.files, sizes, strict=True)], created))
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.part")
    try:
        with tmp.open("x+b", buffering=0) as raw:
            flusher = FlushBehind(raw.fileno() if sync else None)
            try:
                writer = BagWriter(ZipWriter(raw, created), inp.package_id, flusher)
                members, oxum = _write(writer, inp, key, sizes, created)
                flusher.finish()
            except BaseException:
                flusher.abandon()
                raise
            size = os.fstat(raw.fileno()).st_size
        if size > limits.max_package_bytes:
            raise PackageRejected("oversized", f"the package would be {size} bytes, more than "
                                  f"{limits.max_package_bytes}")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync:
        _sync_directory(out.parent)
    return BuiltPackage(inp.package_id, out, size, tuple(members), oxum)
