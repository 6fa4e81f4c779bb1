"""Phone one-time codes: six digits, five minutes, five tries, stored hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.accounts import ratelimit
from portal.accounts.models import OneTimeCode
from portal.accounts.validation import InvalidField
from portal.config import get_settings
from portal.db.types import utcnow
from portal.notifications.channels import sms_gateway

CODE_TTL = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5


class TooManyRequests(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _hash(phone: str, purpose: str, code: str) -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, f"{phone}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(session: Session, *, phone: str, purpose: str, client: str) -> None:
    if not ratelimit.allowed(ratelimit.CODE_SEND_PER_PHONE, phone, purpose):
        raise TooManyRequests("A code was just sent. Please wait a minute before asking again.")
    if not (ratelimit.hit(ratelimit.CODE_SEND_PER_PHONE_HOURLY, phone)
            and ratelimit.hit(ratelimit.CODE_SEND_PER_CLIENT, client)):
        raise TooManyRequests("Too many codes were requested. Please try again in an hour.")
    ratelimit.hit(ratelimit.CODE_SEND_PER_PHONE, phone, purpose)
    # A new code replaces any earlier one for the same purpose.
    session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.phone == phone, OneTimeCode.purpose == purpose,
               OneTimeCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(OneTimeCode(phone=phone, purpose=purpose, code_hash=_hash(phone, purpose, code),
                            expires_at=utcnow() + CODE_TTL))
    sms_gateway().send(session, phone, f"【枫桥ODR】验证码 {code}，5分钟内有效。请勿告知他人。")


def check_code(session: Session, *, phone: str, purpose: str, code: str) -> None:
    """Consume a valid code or raise InvalidField.

    A wrong try is committed before raising: the counter must survive the caller's
    rollback, or guessing would be unlimited. Call this before making other changes.
    """
    otc = session.execute(
        select(OneTimeCode)
        .where(OneTimeCode.phone == phone, OneTimeCode.purpose == purpose,
               OneTimeCode.used_at.is_(None))
        .order_by(OneTimeCode.id.desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()
    if otc is None or otc.expires_at < utcnow():
        raise InvalidField("code", "This code has expired or was never sent. Ask for a new one.")
    if otc.attempts >= MAX_ATTEMPTS:
        raise InvalidField("code", "Too many wrong codes. Ask for a new one.")
    if not hmac.compare_digest(otc.code_hash, _hash(phone, purpose, code.strip())):
        otc.attempts += 1
        session.commit()
        raise InvalidField("code", "The code is not correct.")
    otc.used_at = utcnow()
