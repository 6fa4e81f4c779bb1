"""Settings: one typed object, read from ``ODR_*`` environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Development and tests only: production refuses it (``resolved_pki_passphrase``).
DEV_PKI_PASSPHRASE = "odr-development-pki-passphrase"  # noqa: S105 - public on purpose


class ConfigurationError(RuntimeError):
    """Raised at start-up when the settings cannot run safely."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ODR_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    # Empty means Celery runs tasks eagerly, in-process.
    broker_url: str = ""
    # Redis redelivers a task whose worker died (acks late) after this many seconds; it
    # must exceed the longest task (a dossier or a court delivery), or a slow task runs twice.
    broker_visibility_timeout: int = Field(default=3600, ge=5)
    result_backend: str = ""
    eager_propagates: bool = False
    secret_key: str = ""
    storage_path: Path | None = None
    base_url: str = "http://127.0.0.1:8000"
    default_locale: str = "zh_CN"
    sms_gateway: Literal["outbox", "disabled"] = "outbox"
    email_gateway: Literal["outbox", "disabled"] = "outbox"
    ratelimit_storage_url: str = "memory://"
    access_token_minutes: int = Field(default=15, ge=1, le=120)
    session_days: int = Field(default=14, ge=1, le=90)
    # Rendered case pages and resolved logins are reused while nothing has been committed
    # since (portal/db/stamp.py), for at most this many seconds: what depends on the clock
    # alone (a deadline passing) shows up that much later. 0 turns both caches off.
    page_cache_seconds: float = Field(default=5, ge=0, le=60)
    page_cache_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    demo_data: bool = True
    # Without a broker, run beat's periodic tasks (deadline scans) inside the web process.
    embedded_beat: bool = True
    static_vendor_dir: Path = PROJECT_ROOT / "node_modules"
    # Evidence uploads: enforced while the request body streams in.
    upload_max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    upload_max_case_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    upload_max_case_files: int = Field(default=100, ge=1)
    # The platform CA, time-stamping key and signers' keys (documents.ca): kept under
    # ``pki_dir`` (default <storage_path>/pki), encrypted with ``pki_passphrase``.
    pki_dir: Path | None = None
    pki_passphrase: SecretStr = SecretStr("")
    # The public signature check (/verify): the largest PDF it reads.
    verify_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    # File storage: a local directory (``storage_path``) or an S3-compatible bucket.
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str = ""
    # Empty means AWS itself; set it for MinIO, Ceph, or a cloud's S3-compatible service.
    s3_endpoint_url: str = ""
    s3_region: str = ""
    # Empty credentials fall back to boto3's own chain (environment, instance role).
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    s3_prefix: str = ""
    # Video rooms (rtc/): ICE servers, comma-separated URLs. None at all in development and
    # tests; TURN credentials are minted per participant from the shared secret (coturn
    # use-auth-secret) and expire after ``rtc_credential_ttl`` seconds.
    rtc_stun_urls: Annotated[tuple[str, ...], NoDecode] = ()
    rtc_turn_urls: Annotated[tuple[str, ...], NoDecode] = ()
    rtc_turn_secret: SecretStr = SecretStr("")
    rtc_credential_ttl: int = Field(default=6 * 3600, ge=60, le=7 * 86400)
    # Send the server's media through TURN only (NAT, docker-compose without host network).
    rtc_relay_only: bool = False
    # Receive slots each browser pre-creates: how many others it can see at once.
    rtc_max_slots: int = Field(default=8, ge=1, le=16)
    # Hardening (portal.web.hardening): the largest request body outside the upload routes
    # (portal.web.body_limit.UPLOAD_ROUTES); the bearer token Prometheus sends to /metrics
    # (administrators may read it logged in); the log format of the web process.
    request_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    metrics_token: SecretStr = SecretStr("")
    log_format: Literal["json", "text"] = "json"
    # Court filing (portal.filing): the courts, their endpoints and keys, in a TOML file;
    # unset means the embedded default (one court, its receiver mounted at /court).
    courts_file: Path | None = None
    # Delivery attempts before a filing is parked for an administrator (/admin/filings).
    filing_max_attempts: int = Field(default=8, ge=1, le=100)
    court_timeout: float = Field(default=30.0, gt=0, le=600)

    @field_validator("rtc_stun_urls", "rtc_turn_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(url.strip() for url in value.split(",") if url.strip())
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'odr.sqlite3'}"
        if self.storage_path is None:
            self.storage_path = self.var_dir / "files"
        return self

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def eager(self) -> bool:
        return not self.broker_url

    @property
    def files_dir(self) -> Path:
        assert self.storage_path is not None
        return self.storage_path

    @property
    def cookie_secure(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def pki_path(self) -> Path:
        return self.pki_dir or self.files_dir / "pki"

    def resolved_pki_passphrase(self) -> str:
        """The key store's passphrase; production refuses to run on the development one."""
        value = self.pki_passphrase.get_secret_value()
        if self.production and (not value or value == DEV_PKI_PASSPHRASE or len(value) < 16):
            raise ConfigurationError(
                "ODR_PKI_PASSPHRASE is not set (or shorter than 16 characters). It encrypts "
                "the signing keys under the storage path; set a long random value and keep it "
                "safe: the keys cannot be opened without it.")
        return value or DEV_PKI_PASSPHRASE

    def resolved_secret_key(self) -> str:
        """The signing key; production refuses to start without one."""
        if self.secret_key:
            if self.production and len(self.secret_key) < 32:
                raise ConfigurationError("ODR_SECRET_KEY must be at least 32 characters.")
            return self.secret_key
        if self.production:
            raise ConfigurationError(
                "ODR_SECRET_KEY is not set. Production mode needs a secret key of at least "
                "32 random characters, e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`."
            )
        # Development keeps a generated key under var/ so logins survive restarts.
        key_file = self.var_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
