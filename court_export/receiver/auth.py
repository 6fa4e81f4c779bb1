"""Clerk login (argon2 hashes from the configuration), the session CSRF token, throttling.

The CSRF token lives in the signed session cookie and every form posts it back
(synchronizer token); the session cookie is SameSite=Strict on top of that.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

CSRF_FIELD = "court_csrf"
# Verified against for an unknown user name, so that the answer takes as long either way.
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def check_password(clerks: Mapping[str, str], username: str, password: str) -> bool:
    stored = clerks.get(username)
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass
class LoginThrottle:
    """At most ``limit`` failed logins per user name in ``window`` seconds (per process)."""

    limit: int = 5
    window: float = 900.0
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def blocked(self, username: str) -> bool:
        recent = [t for t in self._failures.get(username, []) if t > time.monotonic() - self.window]
        self._failures[username] = recent
        if not recent:
            self._failures.pop(username, None)
        return len(recent) >= self.limit

    def failed(self, username: str) -> None:
        if len(self._failures) > 10_000:  # bounded: names are the client's to choose
            self._failures.clear()
        self._failures.setdefault(username, []).append(time.monotonic())

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, form: FormData) -> None:
    expected = request.session.get("csrf")
    sent = form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(sent, str) or not secrets.compare_digest(
            expected, sent):
        raise HTTPException(403, "表单已过期，请返回上一页刷新后重试。")


def current_clerk(request: Request) -> str | None:
    clerk = request.session.get("clerk")
    clerks: Mapping[str, str] = request.app.state.court.config.clerks
    # A clerk removed from the configuration is logged out at the next request.
    return clerk if isinstance(clerk, str) and clerk in clerks else None


def log_in(request: Request, username: str) -> None:
    request.session.clear()  # a fresh session: no fixation across the login
    request.session["clerk"] = username
    request.session["csrf"] = secrets.token_urlsafe(32)


def flash(request: Request, level: str, message: str) -> None:
    messages = list(request.session.get("flash", []))
    messages.append([level, message])
    request.session["flash"] = messages[-5:]


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    messages = request.session.pop("flash", [])
    return [(str(level), str(text)) for level, text in messages]
