"""Login sessions: a short-lived JWT access token and a rotating refresh token.

Both travel in HttpOnly, SameSite=Lax cookies. The access token is checked without the
database; the session row is still looked up per request so that logout, deactivation
and role changes take effect at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.accounts.models import User, UserSession
from portal.config import get_settings
from portal.db.types import utcnow

ALGORITHM = "HS256"
ISSUER = "fengqiao-odr"
AUDIENCE = "portal"


@dataclass(frozen=True)
class IssuedTokens:
    access: str
    refresh: str
    session_id: str


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: str
    expires_at: dt.datetime


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def encode_access(user_id: int, session_id: str, now: dt.datetime | None = None) -> str:
    settings = get_settings()
    now = now or utcnow()
    payload = {
        "sub": str(user_id),
        "sid": session_id,
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.access_token_minutes),
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    return jwt.encode(payload, settings.resolved_secret_key(), algorithm=ALGORITHM)


def decode_access(token: str) -> AccessClaims | None:
    """The claims of a valid, unexpired token; None for anything else."""
    try:
        payload = jwt.decode(
            token, get_settings().resolved_secret_key(), algorithms=[ALGORITHM],
            audience=AUDIENCE, issuer=ISSUER, options={"require": ["exp", "sub", "sid"]},
        )
        return AccessClaims(user_id=int(payload["sub"]), session_id=str(payload["sid"]),
                            expires_at=dt.datetime.fromtimestamp(payload["exp"], dt.UTC))
    except (jwt.PyJWTError, ValueError, KeyError):
        return None


def start_session(session: Session, user: User, *, user_agent: str = "") -> IssuedTokens:
    now = utcnow()
    refresh = secrets.token_urlsafe(32)
    row = UserSession(
        id=secrets.token_hex(16), user_id=user.id, refresh_hash=_sha256(refresh),
        rotated_at=now, expires_at=now + dt.timedelta(days=get_settings().session_days),
        user_agent=user_agent[:200],
    )
    session.add(row)
    session.flush()
    return IssuedTokens(encode_access(user.id, row.id, now), refresh, row.id)


def active_session(session: Session, claims: AccessClaims) -> UserSession | None:
    # The user comes in the same query: every request asks for both.
    row = session.get(UserSession, claims.session_id, options=[joinedload(UserSession.user)])
    if row is None or row.user_id != claims.user_id:
        return None
    if row.revoked_at is not None or row.expires_at <= utcnow() or not row.user.is_active:
        return None
    return row


def rotate(session: Session, refresh: str) -> tuple[UserSession, IssuedTokens] | None:
    """Exchange a refresh token for new tokens.

    Presenting an already-rotated token means two parties hold it; the session is revoked.
    """
    digest = _sha256(refresh)
    row = session.execute(
        select(UserSession).where(UserSession.refresh_hash == digest).with_for_update()
    ).scalar_one_or_none()
    now = utcnow()
    if row is None:
        stolen = session.execute(
            select(UserSession).where(UserSession.previous_hash == digest)
        ).scalar_one_or_none()
        if stolen is not None and stolen.revoked_at is None:
            stolen.revoked_at = now
        return None
    if row.revoked_at is not None or row.expires_at <= now or not row.user.is_active:
        return None
    new_refresh = secrets.token_urlsafe(32)
    row.previous_hash = row.refresh_hash
    row.refresh_hash = _sha256(new_refresh)
    row.rotated_at = now
    return row, IssuedTokens(encode_access(row.user_id, row.id, now), new_refresh, row.id)


def revoke(session: Session, session_id: str) -> None:
    row = session.get(UserSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def revoke_all(session: Session, user_id: int) -> None:
    for row in session.execute(
        select(UserSession).where(UserSession.user_id == user_id,
                                  UserSession.revoked_at.is_(None))
    ).scalars():
        row.revoked_at = utcnow()
