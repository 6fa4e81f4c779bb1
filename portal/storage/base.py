"""The storage interface, and the streaming save that every backend shares.

A backend only knows how to start a file (``_begin``), read, delete and test one; hashing,
size limits and clean-up on any error live here once, so no backend can forget them.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from anyio import to_thread

CHUNK_SIZE = 64 * 1024
# Relative POSIX paths of lower-case segments; no segment starts with a dot, so ``..``,
# absolute paths and our own temporary files can never be named.
_NAME = re.compile(r"(?:[a-z0-9][a-z0-9_-]*/)*[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9]{1,10})?")
_EXTENSION = re.compile(r"[a-z0-9]{1,10}")


class TooLarge(Exception):
    """The stream went past ``max_size``; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Saved:
    name: str
    size: int
    sha256: str


@runtime_checkable
class Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class Storage(Protocol):
    async def save(self, name: str, chunks: AsyncIterable[bytes], *,
                   max_size: int | None = None) -> Saved:
        """Store the stream under ``name``; size and SHA-256 are computed in the same pass.

        Raises TooLarge past ``max_size``. On any error, cancellation included, nothing
        is left behind.
        """

    def save_sync(self, name: str, chunks: Iterable[bytes], *,
                  max_size: int | None = None) -> Saved:
        """The same for synchronous callers (Celery tasks)."""

    def open(self, name: str) -> Reader:
        """A binary reader; raises FileNotFoundError."""

    def delete(self, name: str) -> None:
        """Remove ``name``; a missing file is not an error."""

    def exists(self, name: str) -> bool: ...


def check_name(name: str) -> str:
    if len(name) > 100 or not _NAME.fullmatch(name):
        raise ValueError(f"not a storage name: {name!r}")
    return name


def new_name(prefix: str, extension: str) -> str:
    """A random name: it says nothing about the file and cannot collide or be guessed."""
    if not _EXTENSION.fullmatch(extension):
        raise ValueError(f"not a safe extension: {extension!r}")
    return check_name(f"{prefix}/{uuid.uuid4().hex}.{extension}")


def iter_reader(reader: Reader, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Read to the end in chunks, closing the reader however the loop ends."""
    try:
        while chunk := reader.read(chunk_size):
            yield chunk
    finally:
        reader.close()


class Writer(Protocol):
    """One file being written; invisible under its name until ``commit``."""

    def write(self, data: bytes) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


class _Hasher:
    def __init__(self, max_size: int | None) -> None:
        self.sha = hashlib.sha256()
        self.size = 0
        self.max_size = max_size

    def feed(self, writer: Writer, data: bytes) -> None:
        self.size += len(data)
        if self.max_size is not None and self.size > self.max_size:
            raise TooLarge(self.max_size)
        self.sha.update(data)
        writer.write(data)


class BaseStorage(ABC):
    @abstractmethod
    def _begin(self, name: str) -> Writer: ...

    async def save(self, name: str, chunks: AsyncIterable[bytes], *,
                   max_size: int | None = None) -> Saved:
        writer = await to_thread.run_sync(self._begin, check_name(name))
        hasher = _Hasher(max_size)
        try:
            async for chunk in chunks:
                if chunk:
                    # Hash and write off the event loop; the thread finishes even when
                    # the request is cancelled, so abort never races a write.
                    await to_thread.run_sync(hasher.feed, writer, chunk)
            await to_thread.run_sync(writer.commit)
        except BaseException:
            writer.abort()
            raise
        return Saved(name, hasher.size, hasher.sha.hexdigest())

    def save_sync(self, name: str, chunks: Iterable[bytes], *,
                  max_size: int | None = None) -> Saved:
        writer = self._begin(check_name(name))
        hasher = _Hasher(max_size)
        try:
            for chunk in chunks:
                hasher.feed(writer, chunk)
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        return Saved(name, hasher.size, hasher.sha.hexdigest())
