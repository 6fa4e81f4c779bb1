"""The BagIt (RFC 8493) side of a package: member names, tag files and manifests.

Tag files are parsed with the ``bagit`` library's parser (RFC 2822-style folding included);
they are written here because a package is written into a ZIP in one pass, never as a
directory that ``bagit.make_bag`` could hash a second time.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping

import bagit

from court_export.errors import PackageRejected

BAGIT_VERSION = "1.0"
BAGIT_TXT = "bagit.txt"
BAG_INFO = "bag-info.txt"
MANIFEST = "manifest-sha256.txt"
TAGMANIFEST = "tagmanifest-sha256.txt"
SIGNATURE = "tagmanifest-sha256.txt.jws"
CASE_JSON = "data/case.json"
# Every package has exactly these besides the payload files named in the manifest.
TAG_FILES = (BAGIT_TXT, BAG_INFO, MANIFEST, TAGMANIFEST, SIGNATURE)
SIGNED_TAG_FILES = (BAGIT_TXT, BAG_INFO, MANIFEST)
SOFTWARE = "Fengqiao ODR court_export 1.0"

_SEGMENT_BAD = re.compile(r"[\x00-\x1f\x7f\\%:*?\"<>|]")
# Package ids are lowercase UUIDs: the bag directory, the Idempotency-Key.
PACKAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def check_path(path: str) -> str:
    """A relative member path (to data/ or the bag root) that is plainly portable.

    Besides traversal this refuses what BagIt manifests or other systems cannot round-trip:
    control characters, ``%`` (manifest escaping), backslashes, drive letters, names that
    differ by Unicode normalisation, spaces at either end of a segment.
    """
    if not path or path.startswith("/") or "\\" in path or re.match(r"[A-Za-z]:", path):
        raise PackageRejected("path_traversal", f"{path!r} is not a relative POSIX path")
    segments = path.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise PackageRejected("path_traversal", f"{path!r} has an empty, '.' or '..' segment")
    for segment in segments:
        if _SEGMENT_BAD.search(segment) or segment != segment.strip() or len(segment) > 255:
            raise PackageRejected("unsafe_name", f"{path!r} has a character or segment that "
                                  "is not portable")
    if unicodedata.normalize("NFC", path) != path or len(path.encode("utf-8")) > 1000:
        raise PackageRejected("unsafe_name", f"{path!r} is not NFC-normalised or is too long")
    return path


def bagit_txt() -> bytes:
    return f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode()


def bag_info(fields: Mapping[str, str]) -> bytes:
    """One ``Label: value`` line per field; line breaks inside values become spaces."""
    lines = (label + ": " + _LINE_BREAKS.sub(" ", value).strip() + "\n"
             for label, value in fields.items())
    return "".join(lines).encode("utf-8")


def manifest(entries: Iterable[tuple[str, str]]) -> bytes:
    """``<sha256>  <path>`` lines, the form ``sha256sum -c`` also reads."""
    return "".join(f"{digest}  {path}\n" for path, digest in entries).encode("utf-8")


class _TagText(io.StringIO):
    name: str  # bagit's parser names the file in its error messages


def parse_tags(name: str, data: bytes) -> dict[str, str]:
    """Labels and values of a tag file (the first value of a repeated label)."""
    try:
        text = _TagText(data.decode("utf-8"))
        text.name = name
        tags: dict[str, str] = {}
        for label, value in bagit._parse_tags(text):
            tags.setdefault(str(label), str(value))
    except (UnicodeDecodeError, bagit.BagError) as exc:
        raise PackageRejected("not_a_bag", f"{name} is not a valid tag file: {exc}") from exc
    return tags


def parse_manifest(name: str, data: bytes) -> dict[str, str]:
    """``{path: sha256}``; refuses malformed lines, unsafe paths and repeated paths."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackageRejected("not_a_bag", f"{name} is not UTF-8") from exc
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, path = line.partition(" ")
        path = path.lstrip(" ").removeprefix("*")
        if not _SHA256.fullmatch(digest.lower()) or not path:
            raise PackageRejected("not_a_bag", f"{name} line {number} is not '<sha256> <path>'")
        check_path(path)
        if path in entries:
            raise PackageRejected("duplicate_member", f"{name} lists {path!r} twice")
        entries[path] = digest.lower()
    return entries


def parse_oxum(value: str | None) -> tuple[int, int]:
    """``Payload-Oxum: <bytes>.<files>`` as ``(bytes, files)``."""
    match = re.fullmatch(r"(\d{1,19})\.(\d{1,9})", value or "")
    if not match:
        raise PackageRejected("not_a_bag", f"bag-info.txt has no valid Payload-Oxum ({value!r})")
    return int(match[1]), int(match[2])
