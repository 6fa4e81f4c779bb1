"""The storage contract, run against every backend (local directory and S3 via moto)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest

from portal.storage import TooLarge, check_name, iter_reader, new_name
from portal.storage.base import BaseStorage
from tests.unit.storage.conftest import stored

CONTENT = bytes(range(256)) * 1000  # 256,000 bytes


def _pieces(data: bytes, size: int = 10_000) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


async def _stream(pieces: list[bytes], fail_after: int | None = None) -> AsyncIterator[bytes]:
    for i, piece in enumerate(pieces):
        if fail_after is not None and i == fail_after:
            raise ConnectionResetError("client went away")
        await anyio.sleep(0)
        yield piece


def test_save_returns_size_and_sha256_and_reads_back(storage: BaseStorage) -> None:
    name = new_name("evidence", "pdf")
    saved = anyio.run(lambda: storage.save(name, _stream(_pieces(CONTENT))))
    assert saved.name == name
    assert saved.size == len(CONTENT)
    assert saved.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert storage.exists(name)
    assert b"".join(iter_reader(storage.open(name), 4096)) == CONTENT


def test_save_sync_matches_async(storage: BaseStorage) -> None:
    saved = storage.save_sync(new_name("documents", "pdf"), iter(_pieces(CONTENT)))
    assert (saved.size, saved.sha256) == (len(CONTENT), hashlib.sha256(CONTENT).hexdigest())


def test_delete_and_exists(storage: BaseStorage) -> None:
    name = new_name("evidence", "png")
    storage.save_sync(name, [b"x"])
    storage.delete(name)
    assert not storage.exists(name)
    storage.delete(name)  # a second delete is not an error
    assert stored(storage) == []


def test_open_missing_raises_file_not_found(storage: BaseStorage) -> None:
    with pytest.raises(FileNotFoundError):
        storage.open(new_name("evidence", "pdf"))


def test_over_max_size_stores_nothing(storage: BaseStorage) -> None:
    name = new_name("evidence", "pdf")
    with pytest.raises(TooLarge) as caught:
        anyio.run(lambda: storage.save(name, _stream(_pieces(CONTENT)), max_size=50_000))
    assert caught.value.limit == 50_000
    assert not storage.exists(name)
    assert stored(storage) == []


def test_exactly_max_size_is_accepted(storage: BaseStorage) -> None:
    saved = storage.save_sync(new_name("evidence", "pdf"), _pieces(CONTENT),
                              max_size=len(CONTENT))
    assert saved.size == len(CONTENT)


def test_error_mid_stream_leaves_nothing(storage: BaseStorage) -> None:
    name = new_name("evidence", "pdf")
    with pytest.raises(ConnectionResetError):
        anyio.run(lambda: storage.save(name, _stream(_pieces(CONTENT), fail_after=5)))
    assert stored(storage) == []


def test_cancellation_mid_stream_leaves_nothing(storage: BaseStorage) -> None:
    name = new_name("evidence", "pdf")
    started = anyio.Event()

    async def endless() -> AsyncIterator[bytes]:
        while True:
            started.set()
            await anyio.sleep(0.001)
            yield b"y" * 1000

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(storage.save, name, endless())
            await started.wait()
            await anyio.sleep(0.05)
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert stored(storage) == []


def test_sync_error_mid_stream_leaves_nothing(storage: BaseStorage) -> None:
    def broken() -> Iterator[bytes]:
        yield b"a" * 1000
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        storage.save_sync(new_name("evidence", "pdf"), broken())
    assert stored(storage) == []


def test_file_is_not_visible_under_its_name_before_the_end(storage: BaseStorage) -> None:
    name = new_name("evidence", "mp4")
    seen: list[bool] = []

    async def watching() -> AsyncIterator[bytes]:
        for piece in _pieces(CONTENT):
            seen.append(await anyio.to_thread.run_sync(storage.exists, name))
            yield piece

    anyio.run(lambda: storage.save(name, watching()))
    assert seen and not any(seen)
    assert storage.exists(name)


BAD_NAMES = ["../etc/passwd", "/etc/passwd", ".upload-x.part", "a/../b.pdf", "Evidence/X.PDF",
             "a//b.pdf", "a/b.pdf/", "", "a b.pdf", "x" * 101]


def test_unsafe_names_are_refused(storage: BaseStorage) -> None:
    for bad in BAD_NAMES:
        with pytest.raises(ValueError, match="not a storage name"):
            storage.save_sync(bad, [b"x"])
        with pytest.raises(ValueError, match="not a storage name"):
            storage.open(bad)
        with pytest.raises(ValueError, match="not a storage name"):
            storage.delete(bad)
    assert stored(storage) == []


def test_new_names_are_random_and_carry_only_the_safe_extension() -> None:
    first, second = new_name("evidence", "pdf"), new_name("evidence", "pdf")
    assert first != second
    assert first.startswith("evidence/") and first.endswith(".pdf")
    assert len(first.split("/")[1]) == len("0" * 32) + len(".pdf")
    assert check_name(first) == first
    for bad in ("PDF", "p df", "../x", "", "toolongextension"):
        with pytest.raises(ValueError):
            new_name("evidence", bad)


def test_iter_reader_closes_when_abandoned() -> None:
    class Spy:
        closed = False

        def read(self, size: int = -1, /) -> bytes:
            return b"z" * 10

        def close(self) -> None:
            self.closed = True

    spy: Any = Spy()
    chunks = iter_reader(spy, 10)
    assert next(chunks) == b"z" * 10
    chunks.close()
    assert spy.closed
