"""The courts a case can be filed with, and who the portal is to them.

``ODR_COURTS_FILE`` names a TOML file::

    [platform]
    id = "fengqiao-odr"
    name = "枫桥式纠纷多元化解平台"

    [[courts]]
    id = "zhuji"
    name = "诸暨市人民法院"
    endpoint = "https://court.example.gov.cn/api/v1/filings"
    public_key_dir = "/etc/odr/courts/zhuji"   # <kid>.pub.pem files, re-read on every use
    [courts.keys]                               # and/or keys given inline
    "<kid>" = "-----BEGIN PUBLIC KEY-----..."

Without it, the embedded default: one court whose reference receiver
(court_export.receiver) is mounted in this process at ``/court``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from court_export.keys import SigningKey, load_or_create_key, load_public_keys
from portal.config import ConfigurationError, Settings, get_settings

DEFAULT_PLATFORM_ID = "fengqiao-odr"
DEFAULT_PLATFORM_NAME = "枫桥式纠纷多元化解平台"
EMBEDDED_COURT_ID = "zhuji"
EMBEDDED_COURT_NAME = "诸暨市人民法院"
EMBEDDED_PREFIX = "/court"
CALLBACK_PATH = "/api/v1/court/callbacks"


@dataclass(frozen=True)
class Court:
    id: str
    name: str
    endpoint: str  # packages are POSTed here
    public_key_dir: Path | None = None
    keys: Mapping[str, bytes] = field(default_factory=dict)

    def public_keys(self) -> dict[str, bytes]:
        """{kid: PEM} the court signs notices with; the directory is read on every call, so a
        court's new key (rotation by key id) needs no restart, and old ones stay trusted."""
        found = dict(self.keys)
        if self.public_key_dir is not None and self.public_key_dir.is_dir():
            found.update(load_public_keys(self.public_key_dir))
        return found

    def status_url(self, package_id: str) -> str:
        return f"{self.endpoint.rstrip('/')}/by-package/{package_id}"


@dataclass(frozen=True)
class Platform:
    id: str
    name: str


@dataclass(frozen=True)
class Courts:
    platform: Platform
    courts: tuple[Court, ...]
    embedded: bool  # the default: the reference receiver runs inside the portal

    def get(self, court_id: str) -> Court | None:
        return next((c for c in self.courts if c.id == court_id), None)

    def choices(self) -> list[tuple[str, str]]:
        return [(c.id, c.name) for c in self.courts]


def embedded_dir(settings: Settings) -> Path:
    """The embedded receiver's database, packages and signing key."""
    return settings.var_dir / "court"


def platform_key_dir(settings: Settings) -> Path:
    return settings.pki_path / "court-export"


def platform_key(settings: Settings | None = None) -> SigningKey:
    """The key packages are signed with, kept encrypted with the PKI's passphrase."""
    settings = settings or get_settings()
    return load_or_create_key(platform_key_dir(settings),
                              passphrase=settings.resolved_pki_passphrase().encode())


def callback_url(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + CALLBACK_PATH


def _embedded(settings: Settings) -> Courts:
    court = Court(
        id=EMBEDDED_COURT_ID, name=EMBEDDED_COURT_NAME,
        endpoint=f"{settings.base_url.rstrip('/')}{EMBEDDED_PREFIX}/api/v1/filings",
        public_key_dir=embedded_dir(settings) / "keys")
    return Courts(Platform(DEFAULT_PLATFORM_ID, DEFAULT_PLATFORM_NAME), (court,), embedded=True)


def _text(entry: Mapping[str, Any], name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{where}: '{name}' must be a non-empty string")
    return value.strip()


def _court(entry: Any, where: str, base: Path) -> Court:
    if not isinstance(entry, Mapping):
        raise ConfigurationError(f"{where} must be a table")
    endpoint = _text(entry, "endpoint", where)
    if urlsplit(endpoint).scheme not in ("http", "https") or not urlsplit(endpoint).netloc:
        raise ConfigurationError(f"{where}: endpoint must be an http(s) URL, not {endpoint!r}")
    keys = entry.get("keys", {})
    if not isinstance(keys, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in keys.items()):
        raise ConfigurationError(f"{where}: keys must be a table of kid = \"PEM\"")
    key_dir = entry.get("public_key_dir")
    if key_dir is not None and not isinstance(key_dir, str):
        raise ConfigurationError(f"{where}: public_key_dir must be a path")
    if not keys and not key_dir:
        raise ConfigurationError(f"{where}: give public_key_dir or keys (the court's "
                                 "notice-signing public keys)")
    return Court(id=_text(entry, "id", where), name=_text(entry, "name", where),
                 endpoint=endpoint, keys={k: v.encode() for k, v in keys.items()},
                 public_key_dir=(base / key_dir) if key_dir else None)


def parse(data: Mapping[str, Any], base: Path) -> Courts:
    """The courts of a TOML document; relative key directories are relative to ``base``."""
    platform = data.get("platform", {})
    if not isinstance(platform, Mapping):
        raise ConfigurationError("[platform] must be a table")
    entries = data.get("courts")
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError("the courts file needs at least one [[courts]] table")
    courts = tuple(_court(e, f"[[courts]] #{i}", base) for i, e in enumerate(entries, 1))
    ids = [c.id for c in courts]
    if len(set(ids)) != len(ids):
        raise ConfigurationError(f"court ids must be unique: {ids}")
    return Courts(Platform(str(platform.get("id") or DEFAULT_PLATFORM_ID),
                           str(platform.get("name") or DEFAULT_PLATFORM_NAME)),
                  courts, embedded=False)


def load(settings: Settings | None = None) -> Courts:
    settings = settings or get_settings()
    path = settings.courts_file
    if path is None:
        return _embedded(settings)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigurationError(f"ODR_COURTS_FILE {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"ODR_COURTS_FILE {path}: {exc}") from exc
    return parse(data, path.parent)
