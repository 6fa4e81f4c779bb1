from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, select

from court_export.keys import generate_signing_key
from court_export.receiver.context import build_court
from court_export.receiver.intake import Refused, Upload, admit, spool
from court_export.receiver.models import Filing
from tests.functional.court_receiver_support import build, drop_tables, receiver_config


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def test_spool_writes_and_hashes_the_body(tmp_path: Path) -> None:
    parts = [b"a" * 700_000, b"b" * 700_000, b"c"]
    upload = anyio.run(spool, _chunks(*parts), tmp_path, 2_000_000)
    data = b"".join(parts)
    assert upload.path.read_bytes() == data and upload.size == len(data)
    assert upload.sha256 == hashlib.sha256(data).hexdigest()


def test_spool_stops_at_the_limit_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(Refused) as refused:
        anyio.run(spool, _chunks(b"x" * 600, b"y" * 600), tmp_path, 1000)
    assert (refused.value.status_code, refused.value.code) == (413, "too_large")
    assert list(tmp_path.iterdir()) == []


def test_two_posts_of_one_package_at_once_make_one_filing(tmp_path: Path) -> None:
    key = generate_signing_key()
    config = receiver_config(tmp_path / "court", key)
    court = build_court(config)
    try:
        package = build(tmp_path, key)
        uploads = []
        for n in range(2):
            copy = court.incoming_dir / f"{n}.zip.part"
            shutil.copyfile(package, copy)
            uploads.append(Upload(copy, hashlib.sha256(package.read_bytes()).hexdigest(),
                                  package.stat().st_size))
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(lambda u: admit(court, u, package.stem), uploads))
        assert answers[0].body == answers[1].body
        assert sorted(a.replayed for a in answers) == [False, True]
        with court.db.session() as session:
            assert session.scalar(select(func.count()).select_from(Filing)) == 1
        stored = [p for p in court.storage_dir.iterdir() if p.is_file()]
        assert len(stored) == 1
    finally:
        court.db.dispose()
        drop_tables(config)


def test_uploads_a_crash_left_a_day_ago_are_swept_at_start(tmp_path: Path) -> None:
    config = receiver_config(tmp_path / "court", generate_signing_key())
    incoming = config.resolved_storage_dir / ".incoming"
    incoming.mkdir(parents=True)
    old, fresh = incoming / "old.zip.part", incoming / "fresh.zip.part"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    court = build_court(config)
    court.db.dispose()
    drop_tables(config)
    assert not old.exists() and fresh.exists()
