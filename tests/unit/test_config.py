"""Settings: safe production start-up, development conveniences, derived defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.config import PROJECT_ROOT, ConfigurationError, Settings

GOOD_KEY = "k" * 32


def test_production_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(env="production", secret_key="", var_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="ODR_SECRET_KEY is not set") as err:
        settings.resolved_secret_key()
    assert "32" in str(err.value)  # says how long the key must be
    assert not (tmp_path / "secret_key").exists()  # no silent fallback to a generated key


def test_production_ignores_a_generated_development_key(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("x" * 64)
    with pytest.raises(ConfigurationError):
        Settings(env="production", secret_key="", var_dir=tmp_path).resolved_secret_key()


@pytest.mark.parametrize("key", ["short", "k" * 31])
def test_production_rejects_a_short_key(key: str) -> None:
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        Settings(env="production", secret_key=key).resolved_secret_key()


def test_production_accepts_a_long_enough_key() -> None:
    assert Settings(env="production", secret_key=GOOD_KEY).resolved_secret_key() == GOOD_KEY


def test_development_accepts_any_explicit_key() -> None:
    assert Settings(env="development", secret_key="short").resolved_secret_key() == "short"


def test_development_generates_a_key_once_and_reuses_it(tmp_path: Path) -> None:
    var = tmp_path / "var"  # does not exist yet
    first = Settings(env="development", secret_key="", var_dir=var).resolved_secret_key()
    key_file = var / "secret_key"
    assert key_file.read_text() == first
    assert len(first) >= 32
    assert key_file.stat().st_mode & 0o777 == 0o600
    # A restart (a new Settings object) reads the same key back.
    again = Settings(env="development", secret_key="", var_dir=var).resolved_secret_key()
    assert again == first
    # Another var dir gets its own, different key.
    other = Settings(env="development", secret_key="", var_dir=tmp_path / "other")
    assert other.resolved_secret_key() != first


def test_empty_broker_means_eager() -> None:
    assert Settings(broker_url="").eager
    assert not Settings(broker_url="redis://127.0.0.1:6379/0").eager


def test_database_and_storage_default_under_var_dir(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, database_url="", storage_path=None)
    assert settings.database_url == f"sqlite:///{tmp_path / 'odr.sqlite3'}"
    assert settings.files_dir == tmp_path / "files"


def test_explicit_database_url_is_kept(tmp_path: Path) -> None:
    url = "postgresql://odr@db.example/odr"
    assert Settings(var_dir=tmp_path, database_url=url).database_url == url


def test_settings_read_odr_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ODR_ENV", "production")
    monkeypatch.setenv("ODR_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ODR_DATABASE_URL", "")
    monkeypatch.setenv("ODR_BROKER_URL", "redis://broker:6379/1")
    settings = Settings()
    assert settings.production
    assert settings.database_url == f"sqlite:///{tmp_path / 'odr.sqlite3'}"
    assert settings.broker_url == "redis://broker:6379/1" and not settings.eager


def _check_config(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODR_")}
    env.update({"ODR_ENV": "production", "ODR_VAR_DIR": str(tmp_path), **extra})
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", "check-config"], env=env, cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=60, check=False)


def test_check_config_cli_fails_without_secret_key(tmp_path: Path) -> None:
    result = _check_config(tmp_path)
    assert result.returncode != 0
    assert "ODR_SECRET_KEY is not set" in result.stderr
    assert "configuration ok" not in result.stdout


def test_check_config_cli_fails_without_pki_passphrase(tmp_path: Path) -> None:
    result = _check_config(tmp_path, ODR_SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0 and "ODR_PKI_PASSPHRASE" in result.stderr


def test_check_config_cli_passes_with_a_key(tmp_path: Path) -> None:
    result = _check_config(tmp_path, ODR_SECRET_KEY=GOOD_KEY, ODR_PKI_PASSPHRASE=GOOD_KEY)
    assert result.returncode == 0, result.stderr
    assert "configuration ok" in result.stdout
