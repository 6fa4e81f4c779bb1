from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest

from portal.config import ConfigurationError, Settings
from portal.storage import LocalStorage, get_storage, new_name
from portal.storage.local import TEMP_PREFIX


def test_writes_a_temporary_file_in_the_same_directory_then_renames(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    name = new_name("evidence", "pdf")
    during: list[list[str]] = []

    def watch() -> Iterator[bytes]:
        for piece in (b"a" * 100, b"b" * 100):
            during.append(sorted(p.name for p in (tmp_path / "evidence").iterdir()))
            yield piece

    storage.save_sync(name, watch())
    # While writing, only a hidden temporary file sat next to where the file would go.
    assert during and all(len(names) == 1 and names[0].startswith(TEMP_PREFIX)
                          for names in during)
    assert sorted(p.name for p in (tmp_path / "evidence").iterdir()) == [name.split("/")[1]]
    assert (tmp_path / name).read_bytes() == b"a" * 100 + b"b" * 100
    assert (os.stat(tmp_path / name).st_mode & 0o777) == 0o640


def test_async_save_leaves_no_temporary_file(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"1" * 10
        yield b"2" * 10

    saved = anyio.run(lambda: storage.save(new_name("evidence", "png"), chunks()))
    assert [p.name for p in (tmp_path / "evidence").iterdir()] == [saved.name.split("/")[1]]


def test_get_storage_is_local_by_default(tmp_path: Path) -> None:
    storage = get_storage(Settings(storage_path=tmp_path))
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path


def test_s3_backend_without_a_bucket_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="ODR_S3_BUCKET"):
        get_storage(Settings(storage_backend="s3"))
