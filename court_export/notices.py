"""The court's signed answer about a filing, modelled on ECF's NotifyFilingReviewComplete.

A notice is a compact JWS (a JWT, ES256) signed with the court's key, whose protected
header names the key (``kid``). Its claims are the ReviewNotice fields, with ``jti`` for
``notice_id``, ``iat`` for ``issued_at`` and ``iss`` for ``court_id``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, cast

import jwt
from jwt.exceptions import InvalidSignatureError, PyJWTError

from court_export.keys import SigningKey

__all__ = ["NoticeRejected", "ReviewNotice", "read_notice", "sign_notice"]

ALGORITHM = "ES256"
TYPE = "court-review-notice+jwt"
STATUSES = ("received", "accepted", "rejected")
# Clocks of a court and a platform disagree a little.
LEEWAY = 300


class NoticeRejected(Exception):
    """code: bad_signature, unknown_key, expired or malformed; detail: English sentence."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class ReviewNotice:
    filing_id: str
    package_id: str
    court_id: str
    status: Literal["received", "accepted", "rejected"]
    docket_number: str | None
    filing_date: str | None
    reason: str | None
    issued_at: int
    notice_id: str


def sign_notice(notice: ReviewNotice, key: SigningKey) -> str:
    claims = {"jti": notice.notice_id, "iat": notice.issued_at, "iss": notice.court_id,
              "filing_id": notice.filing_id, "package_id": notice.package_id,
              "status": notice.status, "docket_number": notice.docket_number,
              "filing_date": notice.filing_date, "reason": notice.reason}
    return jwt.encode(claims, key.private_pem, algorithm=ALGORITHM,
                      headers={"kid": key.kid, "typ": TYPE})


def _text(claims: Mapping[str, Any], name: str, *, optional: bool = False) -> str | None:
    value = claims.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > 2000:
        raise NoticeRejected("malformed", f"the notice claim {name!r} is not a text")
    return value


def _notice(claims: Mapping[str, Any]) -> ReviewNotice:
    status = claims.get("status")
    if status not in STATUSES:
        raise NoticeRejected("malformed", f"the notice status {status!r} is unknown")
    issued_at = claims.get("iat")
    if not isinstance(issued_at, int) or isinstance(issued_at, bool):
        raise NoticeRejected("malformed", "the notice has no integer issue time (iat)")
    filing_date = _text(claims, "filing_date", optional=True)
    if filing_date is not None:
        try:
            date.fromisoformat(filing_date)
        except ValueError as exc:
            raise NoticeRejected("malformed", "the filing date is not an ISO date") from exc
    docket_number = _text(claims, "docket_number", optional=True)
    reason = _text(claims, "reason", optional=True)
    if status == "accepted" and (docket_number is None or filing_date is None):
        raise NoticeRejected("malformed", "an accepted notice needs a docket number and date")
    if status == "rejected" and reason is None:
        raise NoticeRejected("malformed", "a rejected notice needs a reason")
    return ReviewNotice(
        filing_id=cast(str, _text(claims, "filing_id")),
        package_id=cast(str, _text(claims, "package_id")),
        court_id=cast(str, _text(claims, "iss")),
        status=status, docket_number=docket_number, filing_date=filing_date, reason=reason,
        issued_at=issued_at, notice_id=cast(str, _text(claims, "jti")))


def read_notice(token: str, public_keys: Mapping[str, bytes], *,
                max_age: int = 7 * 86400) -> ReviewNotice:
    """The notice, if a known court key signed it less than ``max_age`` seconds ago."""
    try:
        header = jwt.get_unverified_header(token)
    except PyJWTError as exc:
        raise NoticeRejected("malformed", f"the notice is not a compact JWS: {exc}") from exc
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise NoticeRejected("malformed", "the notice header names no key id (kid)")
    if kid not in public_keys:
        raise NoticeRejected("unknown_key", f"the notice is signed with key {kid!r}, which is "
                             "not among the court's known keys")
    try:
        claims = jwt.decode(token, public_keys[kid], algorithms=[ALGORITHM],
                            options={"require": ["iat", "jti", "iss"], "verify_iat": False})
    except InvalidSignatureError as exc:
        raise NoticeRejected("bad_signature", f"the notice signature does not match key "
                             f"{kid!r}") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise NoticeRejected("bad_signature", "the notice is not signed with ES256") from exc
    except (PyJWTError, ValueError, TypeError) as exc:
        raise NoticeRejected("malformed", f"the notice cannot be read: {exc}") from exc
    notice = _notice(claims)
    now = int(time.time())
    if notice.issued_at > now + LEEWAY:
        raise NoticeRejected("malformed", "the notice is issued in the future")
    if now - notice.issued_at > max_age:
        raise NoticeRejected("expired", f"the notice was issued more than {max_age} s ago")
    return notice
