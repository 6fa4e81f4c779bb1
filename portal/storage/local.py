"""Files in a local directory, written to a temporary file and renamed into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from portal.storage.base import BaseStorage, Reader, check_name

TEMP_PREFIX = ".upload-"


class _LocalWriter:
    def __init__(self, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        # Same directory as the final file, so the rename is atomic (one filesystem).
        fd, temp = tempfile.mkstemp(dir=final.parent, prefix=TEMP_PREFIX, suffix=".part")
        self.final = final
        self.temp = Path(temp)
        self.file: BinaryIO = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.chmod(self.temp, 0o640)
        os.replace(self.temp, self.final)
        _fsync_dir(self.final.parent)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
        self.temp.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LocalStorage(BaseStorage):
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def _begin(self, name: str) -> _LocalWriter:
        return _LocalWriter(self._path(name))

    def open(self, name: str) -> Reader:
        return self._path(name).open("rb")

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()
