"""The receiver's long-lived state, owned by the application (no module globals)."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from court_export.keys import SigningKey, load_or_create_key, load_public_keys
from court_export.receiver.config import ReceiverConfig
from court_export.receiver.db import Database

STALE_UPLOAD_SECONDS = 86400


@dataclass
class Court:
    config: ReceiverConfig
    db: Database
    key: SigningKey
    secret_key: str
    # Set by the callback loop while it runs: a decision wakes it instead of waiting a tick.
    wake_outbox: Callable[[], None] = field(default=lambda: None)

    @property
    def storage_dir(self) -> Path:
        return self.config.resolved_storage_dir

    @property
    def incoming_dir(self) -> Path:
        # Same file system as storage_dir, so a verified upload is moved in by one rename.
        return self.storage_dir / ".incoming"

    def package_path(self, stored_name: str) -> Path:
        return self.storage_dir / stored_name

    def public_keys(self) -> dict[str, bytes]:
        return load_public_keys(self.config.resolved_key_dir)


def build_court(config: ReceiverConfig) -> Court:
    config.var_dir.mkdir(parents=True, exist_ok=True)
    config.resolved_storage_dir.mkdir(parents=True, exist_ok=True)
    incoming = config.resolved_storage_dir / ".incoming"
    incoming.mkdir(exist_ok=True)
    _sweep(incoming)
    key = load_or_create_key(config.resolved_key_dir, passphrase=config.key_passphrase)
    db = Database(config.resolved_database_url)
    db.create_all()
    return Court(config=config, db=db, key=key, secret_key=_secret(config))


def _sweep(incoming: Path) -> None:
    """Remove uploads a crash left behind; a day old, so another worker's upload in
    progress is never touched."""
    stale = time.time() - STALE_UPLOAD_SECONDS
    for part in incoming.glob("*.part"):
        with contextlib.suppress(FileNotFoundError):
            if part.stat().st_mtime < stale:
                part.unlink()


def _secret(config: ReceiverConfig) -> str:
    """The session-signing secret: configured, or made once and kept in var_dir so that
    clerks stay logged in across restarts and several workers agree."""
    if config.secret_key:
        return config.secret_key
    path = config.var_dir / "session-secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(48)
    tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(value)
    try:
        # A hard link fails if another worker won the race; then everybody uses the winner's.
        path.hardlink_to(tmp)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()
