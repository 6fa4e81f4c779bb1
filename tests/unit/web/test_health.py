"""/healthz, /readyz and /metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.config import get_settings
from portal.web import metrics
from portal.web.app import create_app
from portal.web.views import health
from tests.conftest import REDIS_URL
from tests.factories import UserFactory
from tests.functional.conftest import Browser
from tests.services import unavailable

TOKEN = "prometheus-scrape-token-0123456789"


@pytest.fixture
def client() -> Iterator[Browser]:
    with Browser(create_app()) as browser:
        yield browser


def _broken() -> None:
    raise OSError("down")


def test_healthz_needs_no_database(client: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_database", _broken)
    monkeypatch.setattr(health, "get_engine", _broken)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_readyz_checks_database_and_storage(client: Browser) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "storage": "ok"}  # no broker configured
    assert not list((get_settings().files_dir / "readyz").glob("*"))  # its probe file is gone


@pytest.mark.parametrize("part", ["_database", "_storage"])
def test_readyz_fails_when_a_dependency_does(client: Browser, monkeypatch: pytest.MonkeyPatch,
                                             part: str) -> None:
    monkeypatch.setattr(health, part, _broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"][part.strip("_")] == "failed"


def test_readyz_pings_the_broker_when_there_is_one(client: Browser,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "broker_url", "redis://127.0.0.1:9/0")  # nothing there
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["broker"] == "failed"
    if not REDIS_URL:
        unavailable("ODR_TEST_REDIS_URL is not set")
    monkeypatch.setattr(get_settings(), "broker_url", REDIS_URL)
    assert client.get("/readyz").json()["checks"]["broker"] == "ok"


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_by_route_template(client: Browser, db: Session,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "metrics_token", SecretStr(TOKEN))
    labels = {"method": "GET", "route": "/cases/{number}", "status": "303"}
    before = _sample("odr_http_requests_total", **labels)
    client.get("/cases/FQ-2099-000001", follow_redirects=False)
    client.get("/cases/FQ-2099-000002", follow_redirects=False)
    assert _sample("odr_http_requests_total", **labels) == before + 2
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    assert 'odr_http_requests_total{method="GET",route="/cases/{number}",status="303"}' in (
        scraped.text)
    assert "odr_http_request_duration_seconds_bucket" in scraped.text
    assert "FQ-2099-000001" not in scraped.text  # templates, not concrete paths


def test_metrics_need_the_token_or_an_administrator(client: Browser, db: Session,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "metrics_token", SecretStr(TOKEN))
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"},
                       follow_redirects=False)
    assert wrong.status_code == 303 and wrong.headers["location"].startswith("/login")
    client.login(UserFactory(role=Role.DISPATCHER).phone)
    assert client.get("/metrics").status_code == 403
    admin = Browser(client.app)
    admin.login(UserFactory(role=Role.ADMIN).phone)
    assert admin.get("/metrics").status_code == 200
    monkeypatch.setattr(get_settings(), "metrics_token", SecretStr(""))
    anyone = client.get("/metrics", headers={"Authorization": "Bearer "})
    assert anyone.status_code == 403  # no token configured: nothing matches it


def test_celery_tasks_are_counted() -> None:
    metrics.watch_celery()
    app = Celery("metrics-test", broker="memory://")
    app.conf.task_always_eager = True

    @app.task(name="tests.metrics.add")  # type: ignore[untyped-decorator]
    def add(a: int, b: int) -> int:
        return a + b

    labels: dict[str, Any] = {"task": "tests.metrics.add", "state": "SUCCESS"}
    before = _sample("odr_celery_tasks_total", **labels)
    assert add.delay(2, 3).get() == 5
    assert _sample("odr_celery_tasks_total", **labels) == before + 1
