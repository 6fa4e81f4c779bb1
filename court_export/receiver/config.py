"""Configuration of the reference court receiver.

``ReceiverConfig`` is a plain frozen dataclass, so a host (the portal's embedded default)
builds it in code; ``ReceiverConfig.from_env`` reads the same fields from ``COURT_*``
variables for the stand-alone service (``uvicorn court_export.receiver.asgi:app``).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from court_export.keys import load_public_keys

LITIGATION = "litigation"
CONFIRMATION = "judicial_confirmation"
# The court's own numbering (案号): year in round brackets, court code, case-type word, number.
DEFAULT_DOCKET_FORMATS: Mapping[str, str] = {
    LITIGATION: "({year})浙0681民初{seq}号",
    CONFIRMATION: "({year})浙0681民特{seq}号",
}


@dataclass(frozen=True)
class PlatformConfig:
    """A filing platform the court trusts.

    keys: {kid: public PEM} given inline; public_key_dir: a directory of ``<kid>.pub.pem``
    files, read on every verification so that a platform's key rotation needs no restart.
    callback_url: where decisions are POSTed as ``{"notice": jws}``; None = the platform polls.
    """

    name: str = ""
    keys: Mapping[str, bytes] = field(default_factory=dict)
    public_key_dir: Path | None = None
    callback_url: str | None = None

    def public_keys(self) -> dict[str, bytes]:
        found = dict(self.keys)
        if self.public_key_dir is not None and self.public_key_dir.is_dir():
            found.update(load_public_keys(self.public_key_dir))
        return found


@dataclass(frozen=True)
class ReceiverConfig:
    """Everything the receiver needs; every field has a usable default.

    var_dir: base for the defaults below.  database_url: SQLAlchemy URL (default: a SQLite
    file in var_dir).  storage_dir: accepted packages.  key_dir / key_passphrase: the
    court's notice-signing key (court_export.keys.load_or_create_key).  platforms:
    {platform_id: PlatformConfig}.  court_id / court_name: must match the package's court.
    docket_formats: {filing_type: format with {year} and {seq}}.  clerks: {username:
    argon2 hash}.  max_package_bytes: larger uploads get 413.  secret_key: signs the clerk
    session cookie (default: a random key kept in var_dir).  cookie_secure: HTTPS-only
    cookies.  timezone: the court's local time (filing date, docket year).
    callback_interval / callback_backoff_base / callback_backoff_cap / callback_timeout:
    seconds, for the outbox loop that POSTs decisions to the platforms.  page_size: inbox.
    """

    court_id: str = "zhuji"
    court_name: str = "诸暨市人民法院"
    var_dir: Path = Path("var/court")
    database_url: str | None = None
    storage_dir: Path | None = None
    key_dir: Path | None = None
    key_passphrase: bytes | None = None
    platforms: Mapping[str, PlatformConfig] = field(default_factory=dict)
    docket_formats: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_DOCKET_FORMATS))
    clerks: Mapping[str, str] = field(default_factory=dict)
    max_package_bytes: int = 1 << 30
    secret_key: str | None = None
    cookie_secure: bool = False
    timezone: str = "Asia/Shanghai"
    callback_interval: float = 5.0
    callback_backoff_base: float = 30.0
    callback_backoff_cap: float = 3600.0
    callback_timeout: float = 10.0
    page_size: int = 20

    def __post_init__(self) -> None:
        for kind in (LITIGATION, CONFIRMATION):
            fmt = self.docket_formats.get(kind)
            if not fmt or "{year}" not in fmt or "{seq}" not in fmt:
                raise ValueError(f"docket format for {kind} needs {{year}} and {{seq}}")
            fmt.format(year=2000, seq=1)  # fails now on a stray brace, not at the first accept
        ZoneInfo(self.timezone)
        if self.max_package_bytes <= 0:
            raise ValueError("max_package_bytes must be positive")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'court.sqlite3'}"

    @property
    def resolved_storage_dir(self) -> Path:
        return self.storage_dir or self.var_dir / "packages"

    @property
    def resolved_key_dir(self) -> Path:
        return self.key_dir or self.var_dir / "keys"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def platform_keys(self) -> tuple[dict[str, bytes], dict[str, str]]:
        """All trusted public keys {kid: pem}, and which platform owns each kid."""
        keys: dict[str, bytes] = {}
        owners: dict[str, str] = {}
        for platform_id, platform in self.platforms.items():
            for kid, pem in platform.public_keys().items():
                keys[kid] = pem
                owners[kid] = platform_id
        return keys, owners

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReceiverConfig:
        """Read ``COURT_*`` variables; see court_export/README.md for the list."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"COURT_{name}", "").strip()
            return value or None

        values: dict[str, object] = {}
        for name, attr in (("ID", "court_id"), ("NAME", "court_name"),
                           ("DATABASE_URL", "database_url"), ("SECRET_KEY", "secret_key"),
                           ("TIMEZONE", "timezone")):
            if (value := get(name)) is not None:
                values[attr] = value
        for name, attr in (("VAR_DIR", "var_dir"), ("STORAGE_DIR", "storage_dir"),
                           ("KEY_DIR", "key_dir")):
            if (value := get(name)) is not None:
                values[attr] = Path(value)
        for name, attr in (("CALLBACK_INTERVAL", "callback_interval"),
                           ("CALLBACK_BACKOFF_BASE", "callback_backoff_base"),
                           ("CALLBACK_BACKOFF_CAP", "callback_backoff_cap"),
                           ("CALLBACK_TIMEOUT", "callback_timeout")):
            if (value := get(name)) is not None:
                values[attr] = float(value)
        if (value := get("MAX_PACKAGE_BYTES")) is not None:
            values["max_package_bytes"] = int(value)
        if (value := get("PAGE_SIZE")) is not None:
            values["page_size"] = int(value)
        if (value := get("COOKIE_SECURE")) is not None:
            values["cookie_secure"] = value.lower() in {"1", "true", "yes", "on"}
        if (value := get("KEY_PASSPHRASE")) is not None:
            values["key_passphrase"] = value.encode()
        formats = dict(DEFAULT_DOCKET_FORMATS)
        for name, kind in (("DOCKET_LITIGATION", LITIGATION),
                           ("DOCKET_CONFIRMATION", CONFIRMATION)):
            if (value := get(name)) is not None:
                formats[kind] = value
        values["docket_formats"] = formats
        if (value := get("CLERKS")) is not None:
            values["clerks"] = _clerks(value)
        values["platforms"] = _platforms(get)
        return cls(**values)  # type: ignore[arg-type]


def _clerks(raw: str) -> dict[str, str]:
    # JSON, because argon2 hashes contain "$" and "," that a simpler list syntax would split.
    data = json.loads(raw)
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError('COURT_CLERKS must be a JSON object {"username": "argon2 hash"}')
    return data


def _platforms(get: Callable[[str], str | None]) -> dict[str, PlatformConfig]:
    platforms: dict[str, PlatformConfig] = {}
    if (path := get("PLATFORMS_FILE")) is not None:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
        for platform_id, entry in data.get("platforms", {}).items():
            platforms[platform_id] = platform_from_mapping(entry)
    if (platform_id := get("PLATFORM_ID")) is not None:
        key_dir = get("PLATFORM_KEY_DIR")
        platforms[platform_id] = PlatformConfig(
            name=get("PLATFORM_NAME") or "",
            public_key_dir=Path(key_dir) if key_dir else None,
            callback_url=get("PLATFORM_CALLBACK_URL"),
        )
    return platforms


def platform_from_mapping(entry: Mapping[str, object]) -> PlatformConfig:
    """One ``[platforms.<id>]`` table: name, public_key_dir, callback_url, keys = {kid = pem}."""
    keys = entry.get("keys", {})
    if not isinstance(keys, Mapping):
        raise ValueError("platform keys must be a table {kid = pem}")
    key_dir = entry.get("public_key_dir")
    callback = entry.get("callback_url")
    return PlatformConfig(
        name=str(entry.get("name", "")),
        keys={str(kid): str(pem).encode() for kid, pem in keys.items()},
        public_key_dir=Path(str(key_dir)) if key_dir else None,
        callback_url=str(callback) if callback else None,
    )
