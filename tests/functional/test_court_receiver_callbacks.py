"""Decisions reach the platform's callback endpoint (a real server on loopback), signed,
and a callback that fails is retried until it lands."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from court_export.keys import SigningKey
from court_export.notices import read_notice
from court_export.receiver import decisions
from court_export.receiver.app import create_app
from court_export.receiver.config import PlatformConfig, ReceiverConfig
from court_export.receiver.models import Callback
from tests.functional import court_receiver_support as support
from tests.functional.court_receiver_support import (
    PLATFORM_ID,
    build,
    drop_tables,
    loopback,
    package_id_of,
    post,
    receiver_config,
)

# The shared fixtures, used here by name.
platform_key = support.platform_key

MakeConfig = Callable[[str], ReceiverConfig]


@pytest.fixture
def config_for(tmp_path: Path, platform_key: SigningKey) -> Iterator[MakeConfig]:
    made: list[ReceiverConfig] = []

    def make(callback_url: str) -> ReceiverConfig:
        base = receiver_config(tmp_path / "court", platform_key)
        platform = replace(base.platforms[PLATFORM_ID], callback_url=callback_url)
        config = replace(base, platforms={PLATFORM_ID: platform})
        made.append(config)
        return config

    yield make
    if made:
        drop_tables(made[0])


def _receive(client: TestClient, tmp_path: Path, key: SigningKey) -> str:
    package = build(tmp_path, key)
    answer = post(client, package, package_id_of(package))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["filing_id"])


def _callbacks(app: Starlette) -> list[Callback]:
    with app.state.court.db.session() as session:
        return list(session.scalars(select(Callback).order_by(Callback.id)))


def _wait_state(app: Starlette, state: str, timeout: float = 15.0) -> list[Callback]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _callbacks(app)
        if rows and all(row.state == state for row in rows):
            return rows
        time.sleep(0.05)
    raise AssertionError(f"callbacks not {state}: {[(r.state, r.last_error) for r in rows]}")


def test_an_accepted_filing_is_called_back_with_a_signed_notice(
        config_for: MakeConfig, platform_key: SigningKey, tmp_path: Path) -> None:
    with loopback() as platform:
        app = create_app(config_for(platform.url))
        with TestClient(app) as client:  # the lifespan runs the outbox loop
            filing_id = _receive(client, tmp_path, platform_key)
            filing = decisions.accept(app.state.court, filing_id, clerk="clerk1")
            bodies = platform.wait_for(1)
            rows = _wait_state(app, "delivered")
            keys = {k: v.encode() for k, v in client.get("/api/v1/keys").json().items()}
    assert len(bodies) == 1 and set(bodies[0]) == {"notice"}
    notice = read_notice(bodies[0]["notice"], keys)
    assert (notice.status, notice.filing_id, notice.docket_number) == (
        "accepted", filing_id, filing.docket_number)
    assert rows[0].attempts == 1 and rows[0].last_error is None


def test_a_failing_callback_is_retried_until_it_lands(
        config_for: MakeConfig, platform_key: SigningKey, tmp_path: Path) -> None:
    with loopback([500, 503]) as platform:
        app = create_app(config_for(platform.url))
        with TestClient(app) as client:
            filing_id = _receive(client, tmp_path, platform_key)
            decisions.reject(app.state.court, filing_id, clerk="clerk1", reason="材料不全")
            rows = _wait_state(app, "delivered")
            bodies = platform.wait_for(3)
    assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]
    assert rows[0].attempts == 3
    notice = read_notice(bodies[-1]["notice"], app.state.court.public_keys())
    assert notice.status == "rejected" and notice.reason == "材料不全"


def test_a_refusing_platform_is_not_hammered(
        config_for: MakeConfig, platform_key: SigningKey, tmp_path: Path) -> None:
    with loopback([409]) as platform:
        app = create_app(config_for(platform.url))
        with TestClient(app) as client:
            filing_id = _receive(client, tmp_path, platform_key)
            decisions.accept(app.state.court, filing_id, clerk="clerk1")
            rows = _wait_state(app, "refused")
            time.sleep(0.5)  # several loop intervals: no second attempt
    assert len(platform.bodies) == 1
    assert rows[0].attempts == 1 and "409" in (rows[0].last_error or "")


def test_a_decision_made_while_nothing_sends_is_delivered_after_a_restart(
        config_for: MakeConfig, platform_key: SigningKey, tmp_path: Path) -> None:
    with loopback() as platform:
        config = config_for(platform.url)
        first = create_app(config)
        client = TestClient(first)  # no lifespan: no loop, like a crashed worker
        filing_id = _receive(client, tmp_path, platform_key)
        decisions.accept(first.state.court, filing_id, clerk="clerk1")
        assert _callbacks(first)[0].state == "pending" and platform.bodies == []
        first.state.court.db.dispose()
        second = create_app(config)
        with TestClient(second):
            _wait_state(second, "delivered")
    assert len(platform.bodies) == 1


def test_a_platform_without_callback_url_just_polls(
        tmp_path: Path, platform_key: SigningKey) -> None:
    config = receiver_config(tmp_path / "court", platform_key,
                             platforms={PLATFORM_ID: PlatformConfig(
                                 keys={platform_key.kid: platform_key.public_pem()})})
    try:
        app = create_app(config)
        client = TestClient(app)
        filing_id = _receive(client, tmp_path, platform_key)
        decisions.accept(app.state.court, filing_id, clerk="clerk1")
        assert _callbacks(app) == []
        assert client.get(f"/api/v1/filings/{filing_id}").json()["status"] == "accepted"
    finally:
        drop_tables(config)
