"""A writer for the one kind of ZIP a package is: STORED regular files, sizes known first.

zipfile would do, but it computes each CRC-32 with zlib's byte-wise code, which costs more
than the SHA-256 beside it; here the CRC-32 comes from ISA-L (carry-less multiply, several
GB/s) on the same buffer that is written. Each local header is written with the size and a
zero CRC, patched in place once the data is written: no data descriptors, which some
streaming readers refuse for stored entries. No Zip64: a package stays under 4 GiB.
"""

from __future__ import annotations

import os
import struct
from datetime import datetime
from io import FileIO
from types import TracebackType

from isal import isal_zlib

from court_export.errors import PackageRejected

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20            # 2.0: stored files and directories
_MADE_BY_UNIX = 3
_UTF8 = 0x800
_REGULAR_644 = 0o100644 << 16
_LIMIT = 0xFFFFFFFF      # beyond this a field needs Zip64
_CRC_OFFSET = 14         # of the CRC-32 field in a local header


def _dos(moment: datetime) -> tuple[int, int]:
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


class Member:
    """One member being written: pass it the data in order, exactly the size announced."""

    def __init__(self, archive: ZipWriter, name: bytes, size: int, offset: int) -> None:
        self._archive, self._name, self._size, self._offset = archive, name, size, offset
        self._crc = 0
        self._written = 0

    def write(self, data: memoryview | bytes) -> None:
        self._crc = isal_zlib.crc32(data, self._crc)
        self._written += len(data)
        self._archive.write_all(data)

    def __enter__(self) -> Member:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self._archive.finish(self._name, self._size, self._written, self._crc, self._offset)


class ZipWriter:
    """Members go straight to ``raw``; ``close()`` writes the central directory."""

    def __init__(self, raw: FileIO, modified: datetime) -> None:
        self._raw, self._position = raw, raw.tell()
        self._time, self._date = _dos(modified)
        self._central: list[bytes] = []

    def write_all(self, data: memoryview | bytes) -> None:
        view = memoryview(data)
        while view:
            written = self._raw.write(view)
            if not written:
                raise OSError("the package file accepts no more data")
            view = view[written:]
            self._position += written

    def member(self, name: str, size: int) -> Member:
        encoded = name.encode("utf-8")
        offset = self._position
        if offset + size > _LIMIT or len(self._central) >= 0xFFFF:
            raise PackageRejected("oversized", "a package must stay under 4 GiB and 65535 "
                                  "members (no Zip64)")
        self.write_all(_LOCAL.pack(b"PK\x03\x04", _VERSION, 0, _UTF8, 0, self._time,
                                   self._date, 0, size, size, len(encoded), 0) + encoded)
        return Member(self, encoded, size, offset)

    def finish(self, name: bytes, size: int, written: int, crc: int, offset: int) -> None:
        if written != size:
            raise PackageRejected("source_changed", f"{name.decode()}: {written} bytes were "
                                  f"written, {size} announced")
        os.pwrite(self._raw.fileno(), struct.pack("<L", crc), offset + _CRC_OFFSET)
        self._central.append(_CENTRAL.pack(
            b"PK\x01\x02", _VERSION, _MADE_BY_UNIX, _VERSION, 0, _UTF8, 0, self._time,
            self._date, crc, size, size, len(name), 0, 0, 0, 0, _REGULAR_644, offset) + name)

    def add(self, name: str, data: bytes) -> None:
        with self.member(name, len(data)) as member:
            member.write(data)

    def close(self) -> None:
        start = self._position
        for record in self._central:
            self.write_all(record)
        size = self._position - start
        if self._position > _LIMIT:
            raise PackageRejected("oversized", "a package must stay under 4 GiB (no Zip64)")
        count = len(self._central)
        self.write_all(_END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))
