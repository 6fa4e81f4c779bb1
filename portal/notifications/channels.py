"""SMS and e-mail gateways behind one interface each, chosen by settings.

The development ("outbox") gateways store the message for the outbox page and log it;
a production gateway (an SMS provider, SMTP) implements the same protocol.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from portal.config import get_settings
from portal.notifications.models import OutboundMessage

log = logging.getLogger(__name__)


class GatewayUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


class SmsGateway(Protocol):
    def send(self, session: Session, phone: str, text: str) -> None: ...


class EmailGateway(Protocol):
    def send(self, session: Session, address: str, subject: str, text: str,
             attachments: Sequence[Attachment] = ()) -> None: ...


class OutboxSms:
    def send(self, session: Session, phone: str, text: str) -> None:
        session.add(OutboundMessage(channel="sms", recipient=phone, body=text))
        log.info("SMS to %s: %s", phone, text)


class OutboxEmail:
    def send(self, session: Session, address: str, subject: str, text: str,
             attachments: Sequence[Attachment] = ()) -> None:
        files = [{"filename": a.filename, "content_type": a.content_type,
                  "data": base64.b64encode(a.data).decode()} for a in attachments]
        session.add(OutboundMessage(channel="email", recipient=address, subject=subject,
                                    body=text, attachments=json.dumps(files) if files else ""))
        log.info("e-mail to %s: %s", address, subject)


class DisabledSms:
    def send(self, session: Session, phone: str, text: str) -> None:
        raise GatewayUnavailable("No SMS gateway is configured (ODR_SMS_GATEWAY=disabled).")


class DisabledEmail:
    def send(self, session: Session, address: str, subject: str, text: str,
             attachments: Sequence[Attachment] = ()) -> None:
        raise GatewayUnavailable("No e-mail gateway is configured (ODR_EMAIL_GATEWAY=disabled).")


def sms_gateway() -> SmsGateway:
    return OutboxSms() if get_settings().sms_gateway == "outbox" else DisabledSms()


def email_gateway() -> EmailGateway:
    return OutboxEmail() if get_settings().email_gateway == "outbox" else DisabledEmail()
