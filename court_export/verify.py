"""Verifying a package received from a platform, before anything in it is trusted.

Cheap structural checks run first (sizes, names, ZIP layout), then the signature over the tag
manifest, the tag files, case.json, and last the one pass that hashes every payload member.
Each refusal is a PackageRejected with a stable code (see court_export/README.md).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from io import FileIO
from pathlib import Path
from typing import Any, BinaryIO, cast

from isal import isal_zlib

from court_export import bag
from court_export.errors import PackageRejected
from court_export.schema import validate_case
from court_export.signing import verify_detached
from court_export.streams import Pump, ShortRead
from court_export.zipscan import Entry, scan

__all__ = ["Limits", "VerifiedPackage", "read_member", "verify_package"]

# Tag files and case.json are read into memory; nothing legitimate comes near this.
SMALL_MAX = 16 << 20


@dataclass(frozen=True)
class Limits:
    max_package_bytes: int = 1 << 30
    max_member_bytes: int = 512 << 20
    max_members: int = 2000


@dataclass(frozen=True)
class VerifiedPackage:
    package_id: str
    kid: str
    case: dict[str, Any]
    members: tuple[str, ...]  # paths relative to the bag root, in ZIP order


def _read_small(raw: BinaryIO, entry: Entry) -> bytes:
    if entry.size > SMALL_MAX:
        raise PackageRejected("oversized", f"{entry.path} is larger than {SMALL_MAX} bytes")
    raw.seek(entry.data_offset)
    data = raw.read(entry.size)
    if len(data) != entry.size or isal_zlib.crc32(data) != entry.crc:
        raise PackageRejected("bad_zip", f"{entry.path} is truncated or fails its CRC-32")
    return data


def _check_tags(raw: BinaryIO, entries: Mapping[str, Entry], root: str,
                public_keys: Mapping[str, bytes]) -> tuple[str, dict[str, str], tuple[int, int]]:
    """The signing kid, the payload manifest and the declared Payload-Oxum."""
    if bag.BAGIT_TXT not in entries:
        raise PackageRejected("not_a_bag", "the package has no bagit.txt")
    for name in bag.TAG_FILES:
        if name not in entries:
            raise PackageRejected("missing_member", f"the package has no {name}")
    tags = {name: _read_small(raw, entries[name]) for name in bag.TAG_FILES}
    declaration = bag.parse_tags(bag.BAGIT_TXT, tags[bag.BAGIT_TXT])
    if (declaration.get("BagIt-Version") != bag.BAGIT_VERSION
            or declaration.get("Tag-File-Character-Encoding", "").upper() != "UTF-8"):
        raise PackageRejected("not_a_bag", f"bagit.txt must declare BagIt-Version "
                              f"{bag.BAGIT_VERSION} and UTF-8 tag files")
    try:
        token = tags[bag.SIGNATURE].decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise PackageRejected("bad_signature", "the signature file is not ASCII") from exc
    kid = verify_detached(token, tags[bag.TAGMANIFEST], public_keys)
    listed = bag.parse_manifest(bag.TAGMANIFEST, tags[bag.TAGMANIFEST])
    if set(listed) != set(bag.SIGNED_TAG_FILES):
        raise PackageRejected("not_a_bag", "tagmanifest-sha256.txt must list exactly "
                              + ", ".join(bag.SIGNED_TAG_FILES))
    for name, digest in listed.items():
        if hashlib.sha256(tags[name]).hexdigest() != digest:
            raise PackageRejected("checksum_mismatch", f"{name} does not match its SHA-256")
    info = bag.parse_tags(bag.BAG_INFO, tags[bag.BAG_INFO])
    if info.get("External-Identifier") != root:
        raise PackageRejected("not_a_bag", "bag-info.txt External-Identifier is not the bag name")
    manifest = bag.parse_manifest(bag.MANIFEST, tags[bag.MANIFEST])
    return kid, manifest, bag.parse_oxum(info.get("Payload-Oxum"))


def _check_completeness(entries: Mapping[str, Entry], manifest: Mapping[str, str],
                        oxum: tuple[int, int]) -> None:
    payload = {path for path in entries if path not in bag.TAG_FILES}
    extra, missing = sorted(payload - set(manifest)), sorted(set(manifest) - payload)
    if extra:
        raise PackageRejected("unexpected_member", f"{extra[0]} is in the package but not in "
                              "the manifest")
    if missing:
        raise PackageRejected("missing_member", f"{missing[0]} is in the manifest but not in "
                              "the package")
    if bag.CASE_JSON not in manifest:
        raise PackageRejected("missing_member", "the package has no data/case.json")
    actual = (sum(entries[path].size for path in payload), len(payload))
    if actual != oxum:
        raise PackageRejected("checksum_mismatch", f"Payload-Oxum declares {oxum[0]}.{oxum[1]} "
                              f"but the payload is {actual[0]}.{actual[1]}: a file changed size")


def _load_case(data: bytes, root: str, entries: Mapping[str, Entry],
               manifest: Mapping[str, str]) -> dict[str, Any]:
    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        case = json.loads(data.decode("utf-8"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PackageRejected("schema_invalid", f"case.json is not JSON: {exc}") from exc
    if not isinstance(case, dict):
        raise PackageRejected("schema_invalid", "case.json is not a JSON object")
    validate_case(case)
    if case["package_id"] != root:
        raise PackageRejected("case_mismatch", "case.json package_id is not the bag name")
    listed = [case["lead_document"], *case["connected_documents"], *case["evidence"]]
    seen: set[str] = set()
    for document in listed:
        path = "data/" + document["path"]
        if path in seen:
            raise PackageRejected("case_mismatch", f"case.json lists {document['path']} twice")
        seen.add(path)
        if path not in manifest:
            raise PackageRejected("case_mismatch", f"case.json lists {document['path']}, which "
                                  "is not in the package")
        if document["sha256"] != manifest[path] or document["size"] != entries[path].size:
            raise PackageRejected("case_mismatch", f"case.json gives another SHA-256 or size "
                                  f"for {document['path']}")
    unlisted = sorted(set(manifest) - seen - {bag.CASE_JSON})
    if unlisted:
        raise PackageRejected("case_mismatch", f"{unlisted[0]} is in the package but not in "
                              "case.json")
    return case


def _check_payload(raw: FileIO, entries: Mapping[str, Entry],
                   manifest: Mapping[str, str]) -> None:
    with Pump() as pump:
        hashed = []
        for entry in sorted((entries[p] for p in manifest if p != bag.CASE_JSON),
                            key=lambda e: e.data_offset):
            raw.seek(entry.data_offset)
            try:
                hashed.append((entry, *pump.digest(raw, entry.size)))
            except ShortRead as exc:
                raise PackageRejected("bad_zip", f"{entry.path} is truncated") from exc
        for entry, digest, crc in hashed:
            if digest.result() != manifest[entry.path]:
                raise PackageRejected("checksum_mismatch", f"{entry.path} does not match its "
                                      "SHA-256 in the manifest")
            if crc != entry.crc:
                raise PackageRejected("bad_zip", f"{entry.path} fails its ZIP CRC-32")


def verify_package(path: Path, public_keys: Mapping[str, bytes],
                   limits: Limits = Limits()) -> VerifiedPackage:
    """Every check a court makes before it files a package; PackageRejected on the first fault."""
    with path.open("rb", buffering=0) as raw:
        root, entries = scan(raw, limits.max_package_bytes, limits.max_member_bytes,
                             limits.max_members)
        if not bag.PACKAGE_ID.fullmatch(root):
            raise PackageRejected("not_a_bag", f"the bag directory {root!r} is not a package id")
        kid, manifest, oxum = _check_tags(raw, entries, root, public_keys)
        _check_completeness(entries, manifest, oxum)
        case_bytes = _read_small(raw, entries[bag.CASE_JSON])
        if hashlib.sha256(case_bytes).hexdigest() != manifest[bag.CASE_JSON]:
            raise PackageRejected("checksum_mismatch", "data/case.json does not match its "
                                  "SHA-256 in the manifest")
        case = _load_case(case_bytes, root, entries, manifest)
        _check_payload(raw, entries, manifest)
    return VerifiedPackage(root, kid, case, tuple(entries))


def read_member(path: Path, member: str) -> BinaryIO:
    """A stream of one member of a package verified before (the caller closes it).

    ``member`` is a path as case.json gives it (``documents/complaint.pdf``, relative to
    data/) or relative to the bag root (``data/case.json``, ``bag-info.txt``).
    """
    relative = member if member in bag.TAG_FILES or member.startswith("data/") else (
        "data/" + member)
    bag.check_path(relative)
    archive = zipfile.ZipFile(path)
    try:
        names = archive.namelist()
        root = names[0].split("/", 1)[0] if names else ""
        try:
            info = archive.getinfo(f"{root}/{relative}")
        except KeyError:
            raise PackageRejected("missing_member", f"the package has no {relative}") from None
        # The member stream keeps the file open after the archive object is closed.
        return cast(BinaryIO, archive.open(info))
    finally:
        archive.close()
