from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from documents.ca import PlatformCA
from portal.agreements.pki import get_ca
from portal.config import DEV_PKI_PASSPHRASE, ConfigurationError, Settings, get_settings


def test_the_ca_lives_under_the_storage_path_and_is_shared(ca: PlatformCA) -> None:
    settings = get_settings()
    assert get_ca() is ca and ca.directory == settings.files_dir / "pki"
    assert (ca.directory / "root.crt.pem").exists()
    assert b"ENCRYPTED" in (ca.directory / "root.key.pem").read_bytes()


def test_development_uses_a_default_passphrase(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, env="development")
    assert settings.resolved_pki_passphrase() == DEV_PKI_PASSPHRASE
    assert settings.pki_path == tmp_path / "files" / "pki"


@pytest.mark.parametrize("passphrase", ["", DEV_PKI_PASSPHRASE, "short"])
def test_production_refuses_a_weak_or_default_passphrase(tmp_path: Path,
                                                         passphrase: str) -> None:
    settings = Settings(var_dir=tmp_path, env="production",
                        pki_passphrase=SecretStr(passphrase))
    with pytest.raises(ConfigurationError, match="ODR_PKI_PASSPHRASE"):
        settings.resolved_pki_passphrase()


def test_production_takes_a_long_passphrase(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, env="production", pki_dir=tmp_path / "keys",
                        pki_passphrase=SecretStr("a-long-random-passphrase-0123456789"))
    assert settings.resolved_pki_passphrase().startswith("a-long")
    assert settings.pki_path == tmp_path / "keys"
