"""Join links: one per invitee and session, good for joining that session only.

The token is an HMAC of the invitee under the portal's secret key and a random salt, so the
invitation, the reminders and the .ics file can all carry the same link; the database keeps
only its SHA-256 (as for the respondent's invitation), and a new salt revokes a link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from portal.config import get_settings
from portal.mediation.models import MediationSession, SessionInvitee

PURPOSE = "mediation-join"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join_token(invitee: SessionInvitee) -> str:
    key = get_settings().resolved_secret_key().encode()
    message = f"{PURPOSE}:{invitee.id}:{invitee.token_salt}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(invitee: SessionInvitee) -> str:
    """Give the (flushed) invitee a new link; any earlier one stops working."""
    invitee.token_salt = secrets.token_hex(16)
    token = join_token(invitee)
    invitee.token_hash = token_hash(token)
    return token


def join_path(meeting: MediationSession, invitee: SessionInvitee) -> str:
    return f"/sessions/{meeting.id}/join?t={join_token(invitee)}"


def join_url(meeting: MediationSession, invitee: SessionInvitee) -> str:
    return get_settings().base_url.rstrip("/") + join_path(meeting, invitee)
