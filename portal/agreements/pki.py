"""The platform's CA and time stamper: one instance per process, keys under the storage path."""

from __future__ import annotations

from functools import lru_cache

from pyhanko.sign.timestamps import TimeStamper

from documents.ca import PlatformCA
from documents.signing import make_timestamper
from portal.config import Settings, get_settings


@lru_cache(maxsize=2)
def _ca(directory: str, passphrase: str) -> PlatformCA:
    # PlatformCA caches decrypted keys; a second instance would decrypt them again.
    return PlatformCA(directory, passphrase)


def get_ca(settings: Settings | None = None) -> PlatformCA:
    """The CA of ``settings`` (created under ``pki_path`` on first use)."""
    settings = settings or get_settings()
    return _ca(str(settings.pki_path), settings.resolved_pki_passphrase())


@lru_cache(maxsize=2)
def timestamper(ca: PlatformCA) -> TimeStamper:
    return make_timestamper(ca)
