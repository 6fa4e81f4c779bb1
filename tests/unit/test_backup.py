"""Backup and restore: every table's rows and every stored file come back identical."""

from __future__ import annotations

import hashlib
import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from portal import backup
from portal.backup_db import database_for
from portal.cli import main
from portal.config import Settings, get_settings
from portal.db.session import normalise_url
from portal.models import Base
from tests.conftest import POSTGRES_URL
from tests.factories import (
    AreaFactory,
    BodyFactory,
    CaseFactory,
    UserFactory,
    add_evidence,
    add_respondent,
)


def _rows(url: str) -> dict[str, list[Any]]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(
                        select(t).order_by(*t.primary_key.columns)).all()]
                    for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Settings]:
    """A fresh database (same kind as the tests') and an empty storage directory."""
    restored = tmp_path / "restored"
    if not POSTGRES_URL:
        yield Settings(var_dir=restored, database_url=f"sqlite:///{restored / 'odr.sqlite3'}",
                       storage_path=restored / "files")
        return
    name = f"odr_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(POSTGRES_URL)).set(database=name)
    try:
        yield Settings(var_dir=restored, database_url=url.render_as_string(hide_password=False),
                       storage_path=restored / "files")
    finally:
        from portal.db import reset_engine

        reset_engine()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def world(db: Session) -> Iterator[None]:
    area = AreaFactory()
    body = BodyFactory(area=area)
    applicant, respondent = UserFactory(name="张三"), UserFactory(name="李四")
    case = CaseFactory(applicant=applicant, body_id=body.id, area_id=area.id)
    add_respondent(db, case, respondent)
    add_evidence(db, case, applicant, kind="pdf", size=70_000)
    add_evidence(db, case, respondent, kind="png", size=3_000, name="照片.png")
    # A file in the key store (under the storage directory by default), left for no other test.
    marker = get_settings().pki_path / "backup-test" / "key.bin"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_bytes(b"\x00encrypted key\xff")
    yield
    marker.unlink()


def test_round_trip_restores_every_row_and_file(world: None, tmp_path: Path,
                                                target: Settings) -> None:
    source = get_settings()
    archive = tmp_path / "odr.tar.gz"
    manifest = backup.create(archive, source)
    assert manifest.database == ("postgresql" if POSTGRES_URL else "sqlite")
    assert any(name.startswith("files/evidence/") for name in manifest.files)

    restored = backup.restore(archive, target)

    assert restored.files == manifest.files
    before, after = _rows(source.database_url), _rows(target.database_url)
    assert before["users"] and before["evidence_files"]  # the comparison is not vacuous
    assert after == before
    assert _hashes(target.files_dir) == _hashes(source.files_dir)
    assert (target.pki_path / "backup-test" / "key.bin").read_bytes() == b"\x00encrypted key\xff"


def test_restore_refuses_a_target_with_data_unless_forced(world: None, tmp_path: Path,
                                                          target: Settings) -> None:
    archive = tmp_path / "odr.tar.gz"
    backup.create(archive, get_settings())
    backup.restore(archive, target)
    stray = target.files_dir / "evidence" / "stray.pdf"
    stray.write_bytes(b"not in the backup")

    with pytest.raises(backup.BackupError, match=r"not empty.*database has rows.*has files"):
        backup.restore(archive, target)
    assert stray.exists()

    backup.restore(archive, target, force=True)
    assert not stray.exists()
    assert _rows(target.database_url) == _rows(get_settings().database_url)


def test_a_tampered_archive_is_refused_before_the_target_is_touched(
        world: None, tmp_path: Path, target: Settings) -> None:
    archive, tampered = tmp_path / "odr.tar.gz", tmp_path / "tampered.tar.gz"
    manifest = backup.create(archive, get_settings())
    victim = next(name for name in manifest.files if name.startswith("files/evidence/"))
    with tarfile.open(archive) as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            payload = data.read() if data else b""
            if member.name == victim:
                payload = payload[:-1] + bytes([payload[-1] ^ 1])
            dst.addfile(member, io.BytesIO(payload))

    with pytest.raises(backup.BackupError, match="SHA-256"):
        backup.restore(tampered, target)
    assert not target.files_dir.exists() or not any(target.files_dir.iterdir())
    assert database_for(target.database_url).tables_with_rows() == []


def test_not_a_backup(tmp_path: Path, target: Settings) -> None:
    junk = tmp_path / "junk.tar.gz"
    with tarfile.open(junk, "w:gz") as tar:
        tar.add(__file__, arcname="something.py")
    with pytest.raises(backup.BackupError, match="manifest"):
        backup.restore(junk, target)


def test_s3_storage_is_refused_with_advice(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, storage_backend="s3", s3_bucket="b")
    with pytest.raises(backup.BackupError, match="versioning"):
        backup.create(tmp_path / "x.tar.gz", settings)


def test_cli_create_then_restore_refuses_a_full_target(world: None, tmp_path: Path) -> None:
    runner = CliRunner()
    archive = tmp_path / "cli.tar.gz"
    created = runner.invoke(main, ["backup", "create", str(archive)])
    assert created.exit_code == 0, created.output
    assert "files" in created.output and archive.is_file()
    # The configured database is the one just backed up: it is not empty.
    refused = runner.invoke(main, ["backup", "restore", str(archive)])
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--force" in refused.output
