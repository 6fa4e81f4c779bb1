"""One pass over large files, on two threads: hashlib, ISA-L and file I/O release the GIL.

Building: a reading thread reads each source into a ring of reused 4 MiB buffers and hashes
every chunk right after reading it (``ReadAhead``); this thread takes the chunks in order, adds
their CRC-32 and writes them into the ZIP. Each thread has about half the work, and neither
waits for the other at each chunk or file boundary (under load, each such wait can cost a
scheduling delay).

Verifying: this thread reads each member and checks its CRC-32 while a hashing thread runs
the SHA-256 of the chunks (``Pump``); digests come back as futures.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

from isal import isal_zlib

CHUNK = 4 << 20
SLOTS = 4


class RawReader(Protocol):
    def readinto(self, buffer: memoryview, /) -> int | None: ...


class ShortRead(Exception):
    """The file ended before the expected number of bytes."""


class SourceChanged(Exception):
    """A source file had another size than announced when it was read."""


def _buffers() -> list[memoryview]:
    return [memoryview(bytearray(CHUNK)) for _ in range(SLOTS)]


@dataclass(frozen=True)
class _Done:
    digest: str


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class ReadAhead:
    """Reads and hashes ``sources`` (a file and its size, or bytes) on a thread of its own."""

    def __init__(self, sources: Sequence[tuple[Path | bytes, int]]) -> None:
        self._sources = sources
        self._buffers = _buffers()
        self._free: queue.SimpleQueue[int] = queue.SimpleQueue()
        for slot in range(SLOTS):
            self._free.put(slot)
        self._ready: queue.SimpleQueue[tuple[memoryview, int | None] | _Done | _Failed] = (
            queue.SimpleQueue())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="court-export-read",
                                        daemon=True)

    def __enter__(self) -> ReadAhead:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        for slot in range(SLOTS):  # unblock a reader waiting for a buffer
            self._free.put(slot)
        self._thread.join()

    def _file(self, path: Path, size: int, sha: hashlib._Hash) -> None:
        with path.open("rb", buffering=0) as raw:
            remaining = size
            while remaining > 0:
                slot = self._free.get()
                if self._stop.is_set():
                    return
                view = self._buffers[slot][: min(CHUNK, remaining)]
                n = raw.readinto(view)
                if not n:
                    raise SourceChanged(f"{path} shrank while it was read")
                sha.update(view[:n])
                self._ready.put((view[:n], slot))
                remaining -= n
            if raw.read(1):
                raise SourceChanged(f"{path} grew while it was read")

    def _produce(self) -> None:
        try:
            for source, size in self._sources:
                sha = hashlib.sha256()
                if isinstance(source, bytes):
                    view = memoryview(source)
                    for start in range(0, len(view), CHUNK):
                        sha.update(view[start:start + CHUNK])
                        self._ready.put((view[start:start + CHUNK], None))
                else:
                    self._file(source, size, sha)
                if self._stop.is_set():
                    return
                self._ready.put(_Done(sha.hexdigest()))
        except BaseException as exc:  # handed to the consuming thread, which raises it
            self._ready.put(_Failed(exc))

    def drain(self, write: Callable[[memoryview], object]) -> str:
        """Pass the next source's chunks to ``write`` in order; its SHA-256 (hex)."""
        while True:
            item = self._ready.get()
            if isinstance(item, _Failed):
                raise item.error
            if isinstance(item, _Done):
                return item.digest
            view, slot = item
            write(view)
            if slot is not None:
                self._free.put(slot)


class Pump:
    """The buffers and the hashing thread of one verification."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="court-export-sha256")
        self._buffers = _buffers()
        # The hashing of what each buffer holds: the buffer is free again once it is done.
        self._busy: list[Future[None] | None] = [None] * SLOTS
        self._turn = 0

    def __enter__(self) -> Pump:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._pool.shutdown(wait=True)

    def _read(self, src: RawReader, length: int) -> Iterator[tuple[memoryview, int]]:
        """Exactly ``length`` bytes of ``src`` in chunks, each in the next free buffer."""
        remaining = length
        while remaining > 0:
            slot, self._turn = self._turn, (self._turn + 1) % SLOTS
            busy = self._busy[slot]
            if busy is not None:
                busy.result()
            buffer = self._buffers[slot][: min(CHUNK, remaining)]
            n = src.readinto(buffer)
            if not n:
                raise ShortRead(f"{remaining} of {length} bytes missing")
            yield buffer[:n], slot
            remaining -= n

    def digest(self, src: RawReader, length: int) -> tuple[Future[str], int]:
        """SHA-256 (hex, later) and CRC-32 of the next ``length`` bytes of ``src``."""
        sha = hashlib.sha256()
        crc = 0
        for view, slot in self._read(src, length):
            self._busy[slot] = self._pool.submit(sha.update, view)
            crc = isal_zlib.crc32(view, crc)
        # The one hashing thread runs tasks in order: this comes after every update.
        return self._pool.submit(sha.hexdigest), crc


class FlushBehind:
    """Start writing a growing file to disk while it is still being written.

    A final fsync of hundreds of megabytes would wait for all of them at once; syncing in
    the background every ``every`` bytes leaves only the tail for the end.
    """

    def __init__(self, fd: int | None, every: int = 32 << 20) -> None:
        # None: nothing to sync (the caller keeps no durable copy of this file).
        self._fd, self._every, self._pending = fd, every, 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="court-export-flush")
        self._flush: Future[None] | None = None

    def wrote(self, n: int) -> None:
        if self._fd is None:
            return
        self._pending += n
        if self._pending >= self._every and (self._flush is None or self._flush.done()):
            self._pending = 0
            self._flush = self._pool.submit(os.fdatasync, self._fd)

    def finish(self) -> None:
        """Wait for the background flush, then sync the whole file and its metadata."""
        try:
            if self._flush is not None:
                self._flush.result()
            if self._fd is not None:
                os.fsync(self._fd)
        finally:
            self._pool.shutdown(wait=True)

    def abandon(self) -> None:
        self._pool.shutdown(wait=True)


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a whole file."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
