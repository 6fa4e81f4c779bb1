"""Join links: derived from the secret key, stored as a hash, revoked by a new salt."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.config import get_settings
from portal.mediation import room, tokens


def test_the_same_link_every_time_and_only_its_hash_stored(db: Session,
                                                           make_session: Any) -> None:
    meeting = make_session()
    invitee = meeting.invitees[1]
    token = tokens.join_token(invitee)
    assert tokens.join_token(invitee) == token
    assert invitee.token_hash == tokens.token_hash(token)
    assert tokens.join_path(meeting, invitee) == f"/sessions/{meeting.id}/join?t={token}"
    assert tokens.join_url(meeting, invitee).startswith(get_settings().base_url)


def test_another_secret_key_gives_another_token(db: Session, make_session: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    invitee = make_session().invitees[1]
    token = tokens.join_token(invitee)
    monkeypatch.setattr(get_settings(), "secret_key", "another-secret-key-long-enough-0123456789")
    assert tokens.join_token(invitee) != token


def test_a_new_salt_revokes_the_old_link(db: Session, make_session: Any) -> None:
    meeting = make_session()
    invitee = meeting.invitees[2]
    old = tokens.join_token(invitee)
    new = tokens.issue(invitee)
    db.commit()
    assert new != old and tokens.join_token(invitee) == new
    with pytest.raises(room.JoinRefused):
        room.invitee_for_token(db, old, meeting_id=meeting.id)
    assert room.invitee_for_token(db, new, meeting_id=meeting.id) is invitee
