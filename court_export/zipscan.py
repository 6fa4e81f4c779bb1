"""The structural checks of a package ZIP, before a byte of content is read.

A package is a plain ZIP of STORED regular files under one top-level directory (the bag).
Besides what zipfile checks, this refuses what could make two readers see different files:
a local header whose name or sizes differ from the central directory, entries that overlap,
data descriptors, encryption, compression, symlinks and other non-regular files.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from court_export import bag
from court_export.errors import PackageRejected

LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED, _DATA_DESCRIPTOR, _UTF8 = 0x1, 0x8, 0x800
_ZIP64_MARK = 0xFFFFFFFF
_S_IFMT, _S_IFREG, _S_IFLNK = 0o170000, 0o100000, 0o120000


@dataclass(frozen=True)
class Entry:
    path: str          # relative to the bag root
    header_offset: int
    data_offset: int
    size: int
    crc: int


def _open(raw: BinaryIO) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(raw)
    except (zipfile.BadZipFile, ValueError, EOFError, struct.error, NotImplementedError,
            OverflowError) as exc:
        raise PackageRejected("bad_zip", f"the package is not a readable ZIP file: {exc}") from exc


def _local_data_offset(raw: BinaryIO, info: zipfile.ZipInfo, end_of_data: int) -> int:
    if not 0 <= info.header_offset < end_of_data:
        raise PackageRejected("bad_zip", f"{info.filename}: the local header is outside the "
                              "file")
    raw.seek(info.header_offset)
    header = raw.read(LOCAL_HEADER.size)
    if len(header) != LOCAL_HEADER.size:
        raise PackageRejected("bad_zip", f"{info.filename}: truncated local header")
    (signature, _, _, flags, method, _, _, crc, compressed, size, name_length,
     extra_length) = LOCAL_HEADER.unpack(header)
    name = raw.read(name_length)
    central_name = info.orig_filename.encode("utf-8" if info.flag_bits & _UTF8 else "cp437")
    # Readers decode the name by the local flags: they must agree with the central ones.
    if signature != LOCAL_SIGNATURE or name != central_name or flags != info.flag_bits:
        raise PackageRejected("bad_zip", f"{info.filename}: the local header does not match "
                              "the central directory")
    if method != zipfile.ZIP_STORED or flags & (_ENCRYPTED | _DATA_DESCRIPTOR):
        raise PackageRejected("unsupported_zip", f"{info.filename}: members must be stored "
                              "without compression, encryption or data descriptors")
    if size != _ZIP64_MARK and (crc, compressed, size) != (info.CRC, info.file_size,
                                                           info.file_size):
        raise PackageRejected("bad_zip", f"{info.filename}: the local header gives another "
                              "size or CRC-32 than the central directory")
    return int(info.header_offset + LOCAL_HEADER.size + name_length + extra_length)


def _check_info(info: zipfile.ZipInfo, max_member_bytes: int) -> None:
    name = info.filename
    if info.orig_filename != name or not name:
        raise PackageRejected("unsafe_name", f"{info.orig_filename!r} is empty or has a NUL "
                              "character")
    if name.endswith("/") or info.is_dir():
        raise PackageRejected("unexpected_member", f"{name}: directory entries are not part "
                              "of a package")
    bag.check_path(name)
    mode = info.external_attr >> 16
    if info.create_system == 3 and mode & _S_IFMT == _S_IFLNK:
        raise PackageRejected("symlink", f"{name} is a symbolic link")
    if info.create_system == 3 and mode & _S_IFMT not in (0, _S_IFREG):
        raise PackageRejected("unexpected_member", f"{name} is not a regular file")
    if info.flag_bits & _ENCRYPTED or info.compress_type != zipfile.ZIP_STORED:
        raise PackageRejected("unsupported_zip", f"{name}: members must be stored without "
                              "compression or encryption")
    if info.compress_size != info.file_size:
        raise PackageRejected("bad_zip", f"{name}: stored size differs from the file size")
    if info.file_size > max_member_bytes:
        raise PackageRejected("oversized", f"{name} declares {info.file_size} bytes, more than "
                              f"the limit of {max_member_bytes}")


def scan(raw: BinaryIO, max_package_bytes: int, max_member_bytes: int,
         max_members: int) -> tuple[str, dict[str, Entry]]:
    """The bag name and ``{path relative to the bag: Entry}`` in central directory order."""
    size = raw.seek(0, 2)
    if size > max_package_bytes:
        raise PackageRejected("oversized", f"the package is {size} bytes, more than the limit "
                              f"of {max_package_bytes}")
    with _open(raw) as archive:
        infos = archive.infolist()
        end_of_data = archive.start_dir
    if len(infos) > max_members:
        raise PackageRejected("oversized", f"the package has {len(infos)} members, more than "
                              f"the limit of {max_members}")
    if not infos:
        raise PackageRejected("not_a_bag", "the package is empty")
    root = infos[0].filename.split("/", 1)[0]
    entries: dict[str, Entry] = {}
    folded: set[str] = set()
    total = 0
    for info in infos:
        _check_info(info, max_member_bytes)
        top, _, relative = info.filename.partition("/")
        if top != root or not relative:
            raise PackageRejected("unexpected_member", f"{info.filename} is outside the bag "
                                  f"directory {root}/")
        if relative in entries or relative.casefold() in folded:
            raise PackageRejected("duplicate_member", f"{info.filename} is in the package twice")
        folded.add(relative.casefold())
        total += info.file_size
        if total > max_package_bytes:
            raise PackageRejected("oversized", "the members declare more bytes than the limit "
                                  f"of {max_package_bytes}")
        entries[relative] = Entry(relative, info.header_offset,
                                  _local_data_offset(raw, info, end_of_data),
                                  info.file_size, info.CRC)
    end = 0
    for entry in sorted(entries.values(), key=lambda e: e.header_offset):
        if entry.header_offset < end or entry.data_offset + entry.size > end_of_data:
            raise PackageRejected("bad_zip", f"{entry.path} overlaps another member or the "
                                  "central directory")
        end = entry.data_offset + entry.size
    return root, entries
