"""The mediator's recording switch and caucus notes, recordings kept in storage with their
SHA-256, and the ICE servers the browser is given."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import rtc
from portal.audit.models import AuditEntry
from portal.config import ConfigurationError, Settings, get_settings
from portal.mediation.models import MediationSession, SessionRecording
from portal.storage import get_storage
from portal.web.app import create_app
from portal.web.room_events import apply
from portal.web.rooms import ice_settings
from tests.functional.conftest import Browser
from tests.functional.room_support import Clients, joined, people, schedule, until, verified
from tests.mediation_world import World, mediation_world


def _post(client: Browser, url: str, **fields: str) -> tuple[int, dict[str, object]]:
    response = client.submit(url, fields)
    return response.status_code, response.json()


def test_recording_needs_every_partys_consent(db: Session, browser: Browser) -> None:
    world = mediation_world(db)
    meeting = schedule(db, world, recording=True)
    verified(db, people(meeting)["张三"], consent=True)
    verified(db, people(meeting)["李四"], consent=False)
    clients = Clients(browser)
    mediator = clients(world.mediator)
    mediator.get("/lang/en")
    page = mediator.get(f"/sessions/{meeting.id}/room").text
    assert "Not every party agreed to be recorded (李四)" in page
    url = f"/sessions/{meeting.id}/room/recording"
    with joined(mediator, meeting.id):
        status, body = _post(mediator, url, action="start")
    assert status == 409 and "minutes are required" in str(body["error"])


def test_the_mediator_starts_and_stops_recording_and_everyone_is_told(
        db: Session, browser: Browser) -> None:
    world = mediation_world(db)
    meeting = schedule(db, world, recording=True)
    verified(db, people(meeting)["张三"], people(meeting)["李四"], consent=True)
    clients = Clients(browser)
    mediator, party = clients(world.mediator), clients(world.applicant)
    url = f"/sessions/{meeting.id}/room/recording"
    assert _post(mediator, url, action="start")[0] == 409  # nobody in the room yet
    with joined(mediator, meeting.id) as (room, _), joined(party, meeting.id) as (ws, _):
        room.send_json({"type": "admit", "participant": str(people(meeting)["张三"].id)})
        until(ws, "admission")
        assert party.submit(url, {"action": "start"}).status_code == 403  # no switch for a party
        assert _post(mediator, url, action="start") == (200, {"recording": True})
        assert until(ws, "recording")["active"] is True
        assert _post(mediator, url, action="stop") == (200, {"recording": False})
        assert until(ws, "recording")["active"] is False
        assert _post(mediator, url, action="rewind")[0] == 400


def test_caucus_notes_stay_with_the_mediator(db: Session, browser: Browser) -> None:
    world = mediation_world(db)
    meeting = schedule(db, world)
    verified(db, people(meeting)["张三"], people(meeting)["李四"])
    clients = Clients(browser)
    mediator, party = clients(world.mediator), clients(world.applicant)
    url = f"/sessions/{meeting.id}/room/notes"
    status, note = _post(mediator, url, side="applicant", text="申请人可接受分三期")
    assert status == 200 and note["side"] == "applicant"
    assert _post(mediator, url, side="applicant", text=" ")[0] == 400
    assert _post(mediator, url, side="", text="无方")[0] == 400
    assert party.submit(url, {"side": "applicant", "text": "x"}).status_code == 403
    assert "申请人可接受分三期" in mediator.get(f"/sessions/{meeting.id}/room").text
    assert "申请人可接受分三期" not in party.get(f"/sessions/{meeting.id}/room").text
    other = clients(world.other_mediator)
    assert other.submit(url, {"side": "applicant", "text": "x"}).status_code == 404


def _stopped(meeting: MediationSession, seat: str, path: Path) -> rtc.RoomEvent:
    now = dt.datetime.now(dt.UTC)
    return rtc.RoomEvent(f"session-{meeting.id}", rtc.EventKind.RECORDING_STOPPED, None, {
        "files": [{"participant": seat, "path": str(path),
                   "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                   "started_at": now - dt.timedelta(minutes=5), "ended_at": now,
                   "video_frames": 9000, "audio_frames": 15000}]})


def test_a_recording_goes_to_storage_with_its_hash_in_the_audit_chain(
        db: Session, tmp_path: Path) -> None:
    world: World = mediation_world(db)
    meeting = schedule(db, world, recording=True)
    verified(db, people(meeting)["张三"], people(meeting)["李四"], consent=True)
    seat = str(people(meeting)["张三"].id)
    webm = tmp_path / "room.webm"
    webm.write_bytes(b"\x1aE\xdf\xa3" + b"webm" * 1000)
    apply(db, _stopped(meeting, seat, webm), set())
    db.commit()
    row = db.execute(select(SessionRecording)).scalar_one()
    assert row.sha256 == hashlib.sha256(b"\x1aE\xdf\xa3" + b"webm" * 1000).hexdigest()
    with get_storage().open(row.storage_name) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == row.sha256
    assert not webm.exists()
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "session.recorded")
                       ).scalar_one()
    assert json.loads(entry.data)["sha256"] == row.sha256

    # Consent withdrawn before the recording stops: the file is thrown away.
    people(meeting)["李四"].recording_consent = False
    db.commit()
    webm.write_bytes(b"\x1aE\xdf\xa3 second")
    apply(db, _stopped(meeting, seat, webm), set())
    db.commit()
    assert len(db.execute(select(SessionRecording)).all()) == 1 and not webm.exists()


def test_the_browser_gets_the_configured_ice_servers_with_turn_credentials(
        db: Session) -> None:
    world = mediation_world(db)
    meeting = schedule(db, world)
    settings = get_settings().model_copy(update={
        "rtc_stun_urls": ("stun:stun.odr.example.org:3478",),
        "rtc_turn_urls": ("turn:turn.odr.example.org:3478?transport=udp",),
        "rtc_turn_secret": Settings(rtc_turn_secret="coturn-shared-secret").rtc_turn_secret,
        "rtc_credential_ttl": 600})
    with Browser(create_app(settings)) as host:
        mediator = Clients(host)(world.mediator)
        with joined(mediator, meeting.id) as (_, welcome):
            stun, turn = welcome["ice_servers"]
    assert stun == {"urls": ["stun:stun.odr.example.org:3478"]}
    assert turn["urls"] == ["turn:turn.odr.example.org:3478?transport=udp"]
    expiry, _, user = turn["username"].partition(":")
    assert user == str(people(meeting)["王调解"].id)
    assert 0 < int(expiry) - dt.datetime.now(dt.UTC).timestamp() <= 600
    digest = hmac.new(b"coturn-shared-secret", turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(digest).decode()


def test_ice_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODR_RTC_STUN_URLS", "stun:a.example.org:3478, stun:b.example.org:3478")
    settings = Settings()
    assert settings.rtc_stun_urls == ("stun:a.example.org:3478", "stun:b.example.org:3478")
    assert ice_settings(settings).stun_urls == settings.rtc_stun_urls
    assert ice_settings(Settings(_env_file=None)).turn_urls == ()
    with pytest.raises(ConfigurationError, match="TURN needs"):
        ice_settings(settings.model_copy(update={"rtc_turn_urls": ("turn:t.example.org",)}))
