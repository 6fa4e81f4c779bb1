"""Backup and restore of the database plus the stored files, as one .tar.gz.

The archive holds ``manifest.json`` (format, database kind, every file's SHA-256), the
database (SQLite: a copy made with sqlite3's online backup API; PostgreSQL: ``pg_dump
--format=custom``, restored with ``pg_restore``) and the storage directory under
``files/`` (with the key store under ``pki/`` when it lives elsewhere). The database is
dumped before the files are read: a stored file is written before the row that names it,
so every row in the dump finds its file.

Restore goes into an empty database and empty storage only, unless forced; every file is
checked against the manifest before anything in the target is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from portal.backup_db import BackupError, Database, database_for
from portal.config import Settings
from portal.storage.local import TEMP_PREFIX

FORMAT = 1
MANIFEST = "manifest.json"
__all__ = ["BackupError", "Manifest", "create", "restore"]


@dataclass
class Manifest:
    database: str
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    format: int = FORMAT
    # Archive member name (files/..., pki/...) → SHA-256.
    files: dict[str, str] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path) -> Iterator[Path]:
    """Every stored file, without uploads still being written."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.startswith(TEMP_PREFIX):
            yield path


def _trees(settings: Settings) -> dict[str, Path]:
    """Archive prefix → directory. The key store is only separate when set apart."""
    trees = {"files": settings.files_dir}
    pki = settings.pki_path.resolve()
    if not pki.is_relative_to(settings.files_dir.resolve()):
        trees["pki"] = settings.pki_path
    return trees


def _local_only(settings: Settings) -> None:
    if settings.storage_backend != "local":
        raise BackupError(
            "ODR_STORAGE_BACKEND is s3: the documents are in the bucket, which this command "
            "does not copy. Protect the bucket with versioning or replication, and back up "
            "the database with the database's own tools.")


def create(target: Path, settings: Settings) -> Manifest:
    """Write the backup to ``target`` (replaced atomically when complete)."""
    _local_only(settings)
    db = database_for(settings.database_url)
    manifest = Manifest(database=db.kind)
    partial = target.with_name(target.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="odr-backup-") as scratch:
        dump = Path(scratch) / db.dump_name
        db.dump(dump)
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(dump, arcname=f"database/{db.dump_name}")
            for prefix, root in _trees(settings).items():
                for path in _files(root):
                    name = f"{prefix}/{path.relative_to(root).as_posix()}"
                    manifest.files[name] = _sha256(path)
                    tar.add(path, arcname=name)
            data = json.dumps(asdict(manifest), indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(datetime.now(UTC).timestamp())
            with tempfile.TemporaryFile() as buffer:
                buffer.write(data)
                buffer.seek(0)
                tar.addfile(info, buffer)
    os.replace(partial, target)
    return manifest


def _read_manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.extractfile(MANIFEST)
        raw = json.loads(member.read()) if member else None
        manifest = Manifest(**raw) if isinstance(raw, dict) else None
    except (KeyError, TypeError, ValueError):
        manifest = None
    if manifest is None:
        raise BackupError("This is not an ODR backup: it has no readable manifest.json.")
    if manifest.format != FORMAT:
        raise BackupError(f"Backup format {manifest.format} is not supported (this version "
                          f"reads format {FORMAT}).")
    return manifest


def _verify(unpacked: Path, manifest: Manifest) -> None:
    found = {p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file()
             and not p.relative_to(unpacked).as_posix().startswith(("database/", MANIFEST))}
    if found != set(manifest.files):
        raise BackupError("The archive's files do not match its manifest; it is damaged.")
    for name, digest in manifest.files.items():
        if _sha256(unpacked / name) != digest:
            raise BackupError(f"{name} does not match its recorded SHA-256; the archive is "
                              "damaged.")


def _not_empty(db: Database, trees: dict[str, Path]) -> list[str]:
    tables = db.tables_with_rows()
    problems = [f"the database has rows in {', '.join(tables[:3])}"
                f"{' and more tables' if len(tables) > 3 else ''}"] if tables else []
    problems += [f"{root} has files" for root in trees.values()
                 if next(_files(root), None) is not None]
    return problems


def _replace_tree(source: Path, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    if source.is_dir():
        for child in source.iterdir():
            shutil.move(child, root / child.name)


def restore(archive: Path, settings: Settings, *, force: bool = False) -> Manifest:
    """Restore ``archive`` into the configured database and storage.

    Refuses a target that already holds rows or files unless ``force``, which replaces
    both (the storage directory is emptied first).
    """
    _local_only(settings)
    db = database_for(settings.database_url)
    trees = _trees(settings)
    if not force and (problems := _not_empty(db, trees)):
        raise BackupError("The target is not empty (" + "; ".join(problems) + "). Restore "
                          "into a new database and storage, or pass --force to replace them.")
    with tempfile.TemporaryDirectory(prefix="odr-restore-") as scratch:
        unpacked = Path(scratch)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                manifest = _read_manifest(tar)
                # The "data" filter refuses absolute paths, "..", links out and devices.
                tar.extractall(unpacked, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"The archive cannot be read: {exc}") from exc
        if manifest.database != db.kind:
            raise BackupError(f"The backup holds a {manifest.database} database; the target "
                              f"is {db.kind}. Restore into the same kind of database.")
        dump = unpacked / "database" / db.dump_name
        if not dump.is_file():
            raise BackupError("The archive has no database dump.")
        _verify(unpacked, manifest)
        db.restore(dump)
        for prefix, root in trees.items():
            # A key store kept apart is left alone when the backup did not carry one.
            if prefix == "files" or (unpacked / prefix).is_dir():
                _replace_tree(unpacked / prefix, root)
    return manifest
