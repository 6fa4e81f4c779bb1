"""Sending each message once: per occasion, recipient and channel, whatever the retries."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import i18n
from portal.notifications.channels import (
    Attachment,
    GatewayUnavailable,
    email_gateway,
    sms_gateway,
)
from portal.notifications.models import Delivery

log = logging.getLogger(__name__)

PORTAL, SMS, EMAIL = "portal", "sms", "email"


@contextmanager
def in_locale(locale: str | None) -> Iterator[None]:
    """Render messages in the recipient's language (the portal's default when unknown)."""
    token = i18n.current_locale.set(i18n.negotiate(locale))
    try:
        yield
    finally:
        i18n.current_locale.reset(token)


def claim(session: Session, *, occasion: str, channel: str, recipient: str) -> bool:
    """Record that this message goes out now; False when it already went."""
    done = session.execute(select(Delivery.id).where(
        Delivery.occasion == occasion, Delivery.channel == channel,
        Delivery.recipient == recipient)).first()
    if done is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Delivery(occasion=occasion, channel=channel, recipient=recipient))
    except IntegrityError:
        return False  # a concurrent run claimed it first
    return True


def send_sms(session: Session, *, occasion: str, phone: str, text: str) -> bool:
    """Send ``text`` (translated already) unless it was sent for this occasion before.

    Without a gateway the message is logged and skipped, so in-portal notices still
    reach people; it is not recorded as sent.
    """
    if not phone:
        return False
    try:
        with session.begin_nested():
            if not claim(session, occasion=occasion, channel=SMS, recipient=phone):
                return False
            sms_gateway().send(session, phone, text)
    except GatewayUnavailable as exc:
        log.warning("SMS for %s not sent: %s", occasion, exc)
        return False
    return True


def send_email(session: Session, *, occasion: str, address: str, subject: str,
               text: str, attachments: Sequence[Attachment] = ()) -> bool:
    if not address:
        return False
    try:
        with session.begin_nested():
            if not claim(session, occasion=occasion, channel=EMAIL, recipient=address):
                return False
            email_gateway().send(session, address, subject, text, attachments)
    except GatewayUnavailable as exc:
        log.warning("e-mail for %s not sent: %s", occasion, exc)
        return False
    return True
