from __future__ import annotations

import json
from pathlib import Path

import pytest

from court_export.keys import generate_signing_key
from court_export.receiver.config import (
    CONFIRMATION,
    LITIGATION,
    PlatformConfig,
    ReceiverConfig,
)


def test_defaults_live_under_var_dir(tmp_path: Path) -> None:
    config = ReceiverConfig(var_dir=tmp_path)
    assert config.resolved_database_url == f"sqlite:///{tmp_path / 'court.sqlite3'}"
    assert config.resolved_storage_dir == tmp_path / "packages"
    assert config.resolved_key_dir == tmp_path / "keys"
    assert config.docket_formats[LITIGATION].format(year=2025, seq=7) == "(2025)浙0681民初7号"
    assert config.docket_formats[CONFIRMATION].format(year=2025, seq=7) == "(2025)浙0681民特7号"


@pytest.mark.parametrize("fmt", ["({year})浙0681民初号", "浙0681民初{seq}号", "({year}){seq}{x}"])
def test_a_docket_format_without_year_and_seq_is_refused(fmt: str) -> None:
    with pytest.raises((ValueError, KeyError)):
        ReceiverConfig(docket_formats={LITIGATION: fmt, CONFIRMATION: "{year}-{seq}"})


def test_from_env_reads_court_variables(tmp_path: Path) -> None:
    key = generate_signing_key()
    key_dir = tmp_path / "platform-keys"
    key_dir.mkdir()
    (key_dir / f"{key.kid}.pub.pem").write_bytes(key.public_pem())
    platforms = tmp_path / "platforms.toml"
    platforms.write_text(
        '[platforms.other]\nname = "Other"\ncallback_url = "https://other.test/cb"\n'
        f'[platforms.other.keys]\nk1 = """{key.public_pem().decode()}"""\n')
    config = ReceiverConfig.from_env({
        "COURT_VAR_DIR": str(tmp_path / "var"),
        "COURT_ID": "haining",
        "COURT_NAME": "海宁市人民法院",
        "COURT_DOCKET_LITIGATION": "({year})浙0481民初{seq}号",
        "COURT_CLERKS": json.dumps({"wang": "$argon2id$v=19$m=65536,t=3,p=4$abc$def"}),
        "COURT_MAX_PACKAGE_BYTES": "1000",
        "COURT_COOKIE_SECURE": "true",
        "COURT_PLATFORMS_FILE": str(platforms),
        "COURT_PLATFORM_ID": "fengqiao",
        "COURT_PLATFORM_KEY_DIR": str(key_dir),
        "COURT_PLATFORM_CALLBACK_URL": "http://portal.test/api/v1/court/callbacks",
        "ODR_SECRET_KEY": "ignored: not ours",
    })
    assert config.court_id == "haining" and config.court_name == "海宁市人民法院"
    assert config.var_dir == tmp_path / "var"
    assert config.docket_formats[LITIGATION] == "({year})浙0481民初{seq}号"
    assert config.docket_formats[CONFIRMATION] == "({year})浙0681民特{seq}号"
    assert config.clerks == {"wang": "$argon2id$v=19$m=65536,t=3,p=4$abc$def"}
    assert config.max_package_bytes == 1000 and config.cookie_secure is True
    assert config.platforms["fengqiao"].callback_url == "http://portal.test/api/v1/court/callbacks"
    assert config.platforms["other"].keys["k1"] == key.public_pem()
    keys, owners = config.platform_keys()
    assert keys[key.kid] == key.public_pem() and owners[key.kid] == "fengqiao"
    assert owners["k1"] == "other"


def test_clerks_must_be_a_json_object() -> None:
    with pytest.raises(ValueError, match="COURT_CLERKS"):
        ReceiverConfig.from_env({"COURT_CLERKS": '["wang"]'})


def test_platform_keys_are_read_again_after_a_rotation(tmp_path: Path) -> None:
    platform = PlatformConfig(public_key_dir=tmp_path)
    assert platform.public_keys() == {}
    key = generate_signing_key()
    (tmp_path / f"{key.kid}.pub.pem").write_bytes(key.public_pem())
    assert platform.public_keys() == {key.kid: key.public_pem()}
