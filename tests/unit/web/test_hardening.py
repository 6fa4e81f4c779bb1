"""The hardened stack as a whole, and secrets that come only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from portal.config import DEV_PKI_PASSPHRASE, ConfigurationError, Settings
from portal.web.app import create_app

KEY = "k" * 40


def test_outer_layers_see_even_what_the_csrf_check_refuses() -> None:
    client = TestClient(create_app())
    client.get("/login")
    refused = client.post("/login", data={"phone": "1", "password": "x"},
                          headers={"X-Request-ID": "csrf-test-1"})
    assert refused.status_code == 403
    assert refused.headers["x-request-id"] == "csrf-test-1"
    assert refused.headers["x-frame-options"] == "DENY"
    too_big = client.post("/login", data={"csrftoken": client.cookies["odr_csrf"],
                                          "phone": "1" * (3 * 1024 * 1024)})
    assert too_big.status_code == 413 and "content-security-policy" in too_big.headers


def test_the_starlette_app_stays_reachable_through_the_layers() -> None:
    app = create_app()
    assert app.state is not None and app.router.routes  # room tests use app.state.video


def test_production_refuses_to_build_the_app_without_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="ODR_SECRET_KEY"):
        create_app(Settings(env="production", secret_key="", var_dir=tmp_path))


@pytest.mark.parametrize("passphrase", ["", DEV_PKI_PASSPHRASE, "short"])
def test_production_refuses_the_development_key_store_passphrase(passphrase: str) -> None:
    settings = Settings(env="production", secret_key=KEY, pki_passphrase=SecretStr(passphrase))
    with pytest.raises(ConfigurationError, match="ODR_PKI_PASSPHRASE"):
        settings.resolved_pki_passphrase()


def test_secrets_are_read_from_the_environment_only(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("ODR_SECRET_KEY=from-a-dotenv-file-0123456789abcdef\n"
                                   "ODR_METRICS_TOKEN=from-a-dotenv-file\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ODR_SECRET_KEY", raising=False)
    monkeypatch.delenv("ODR_METRICS_TOKEN", raising=False)
    assert Settings().secret_key == ""
    assert Settings().metrics_token.get_secret_value() == ""
    monkeypatch.setenv("ODR_METRICS_TOKEN", "from-the-environment")
    assert Settings().metrics_token.get_secret_value() == "from-the-environment"
    assert "from-the-environment" not in repr(Settings())  # never printed by accident
