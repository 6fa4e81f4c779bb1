"""SMS gateways behind one interface, chosen by ``ODR_SMS_GATEWAY``."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.orm import Session

from portal.accounts.models import SmsMessage
from portal.config import get_settings

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    def send(self, session: Session, phone: str, text: str) -> None: ...


class OutboxGateway:
    """Development gateway: writes to the outbox page and the log instead of a network."""

    def send(self, session: Session, phone: str, text: str) -> None:
        session.add(SmsMessage(phone=phone, body=text))
        log.info("SMS to %s: %s", phone, text)


class DisabledGateway:
    def send(self, session: Session, phone: str, text: str) -> None:
        raise RuntimeError("No SMS gateway is configured (ODR_SMS_GATEWAY=disabled).")


def get_gateway() -> SmsGateway:
    if get_settings().sms_gateway == "outbox":
        return OutboxGateway()
    return DisabledGateway()
