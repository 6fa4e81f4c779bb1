"""SMS and e-mail gateways behind one interface each, chosen by settings.

The development ("outbox") gateways store the message for the outbox page and log it;
a production gateway (an SMS provider, SMTP) implements the same protocol.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.orm import Session

from portal.config import get_settings
from portal.notifications.models import OutboundMessage

log = logging.getLogger(__name__)


class GatewayUnavailable(RuntimeError):
    pass


class SmsGateway(Protocol):
    def send(self, session: Session, phone: str, text: str) -> None: ...


class EmailGateway(Protocol):
    def send(self, session: Session, address: str, subject: str, text: str) -> None: ...


class OutboxSms:
    def send(self, session: Session, phone: str, text: str) -> None:
        session.add(OutboundMessage(channel="sms", recipient=phone, body=text))
        log.info("SMS to %s: %s", phone, text)


class OutboxEmail:
    def send(self, session: Session, address: str, subject: str, text: str) -> None:
        session.add(OutboundMessage(channel="email", recipient=address, subject=subject,
                                    body=text))
        log.info("e-mail to %s: %s", address, subject)


class DisabledSms:
    def send(self, session: Session, phone: str, text: str) -> None:
        raise GatewayUnavailable("No SMS gateway is configured (ODR_SMS_GATEWAY=disabled).")


class DisabledEmail:
    def send(self, session: Session, address: str, subject: str, text: str) -> None:
        raise GatewayUnavailable("No e-mail gateway is configured (ODR_EMAIL_GATEWAY=disabled).")


def sms_gateway() -> SmsGateway:
    return OutboxSms() if get_settings().sms_gateway == "outbox" else DisabledSms()


def email_gateway() -> EmailGateway:
    return OutboxEmail() if get_settings().email_gateway == "outbox" else DisabledEmail()
