import datetime as dt

import jwt
from sqlalchemy.orm import Session

from portal.accounts import tokens
from portal.accounts.models import UserSession
from portal.config import get_settings
from tests.factories import UserFactory


def test_access_token_round_trip(db: Session) -> None:
    user = UserFactory()
    issued = tokens.start_session(db, user)
    claims = tokens.decode_access(issued.access)
    assert claims is not None
    assert (claims.user_id, claims.session_id) == (user.id, issued.session_id)
    # Whole seconds: the token carries exp as a Unix time.
    lifetime = claims.expires_at - dt.datetime.now(dt.UTC)
    minutes = get_settings().access_token_minutes
    assert dt.timedelta(minutes=minutes) - dt.timedelta(seconds=5) < lifetime \
        <= dt.timedelta(minutes=minutes)


def test_tampered_token_refused(db: Session) -> None:
    issued = tokens.start_session(db, UserFactory())
    header, _payload, signature = issued.access.split(".")
    forged_payload = jwt.utils.base64url_encode(b'{"sub":"1","sid":"x","exp":9999999999}')
    assert tokens.decode_access(f"{header}.{forged_payload.decode()}.{signature}") is None
    assert tokens.decode_access(issued.access[:-2] + "AA") is None


def test_token_signed_with_other_key_or_alg_none_refused() -> None:
    payload = {"sub": "1", "sid": "s", "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
               "iss": tokens.ISSUER, "aud": tokens.AUDIENCE}
    assert tokens.decode_access(jwt.encode(payload, "another-key-" * 4, algorithm="HS256")) is None
    unsigned = jwt.encode(payload, None, algorithm="none")
    assert tokens.decode_access(unsigned) is None


def test_expired_token_refused() -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    token = tokens.encode_access(1, "sid", now=past)
    assert tokens.decode_access(token) is None
    assert get_settings().access_token_minutes < 60


def test_rotation_issues_new_refresh_and_old_one_reuse_revokes(db: Session) -> None:
    user = UserFactory()
    first = tokens.start_session(db, user)
    db.commit()
    rotated = tokens.rotate(db, first.refresh)
    assert rotated is not None
    row, second = rotated
    assert second.refresh != first.refresh and row.id == first.session_id
    db.commit()
    # The old refresh token shows up again: someone copied it. The session dies.
    assert tokens.rotate(db, first.refresh) is None
    db.commit()
    assert db.get(UserSession, first.session_id).revoked_at is not None  # type: ignore[union-attr]
    assert tokens.rotate(db, second.refresh) is None


def test_deactivated_user_session_is_not_active(db: Session) -> None:
    user = UserFactory()
    issued = tokens.start_session(db, user)
    claims = tokens.decode_access(issued.access)
    assert claims is not None and tokens.active_session(db, claims) is not None
    user.is_active = False
    assert tokens.active_session(db, claims) is None
