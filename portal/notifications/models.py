from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base
from portal.db.types import UTCDateTime, created_at, intpk


class Notification(Base):
    __tablename__ = "notifications"
    # One notice per person per event keeps the task idempotent under redelivery.
    __table_args__ = (UniqueConstraint("user_id", "event_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))
    # A gettext msgid with {placeholders}; rendered in the reader's language.
    message: Mapped[str] = mapped_column(String(200))
    params: Mapped[str] = mapped_column(String(500), default="{}")
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[created_at]
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class OutboundMessage(Base):
    """SMS and e-mail as sent through a gateway; the development gateways stop here and the
    outbox page shows them."""

    __tablename__ = "outbound_messages"

    id: Mapped[intpk]
    channel: Mapped[str] = mapped_column(String(10), index=True)  # sms | email
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    # E-mail attachments as JSON: [{"filename", "content_type", "data" (base64)}].
    attachments: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]


class Delivery(Base):
    """A message already sent for an occasion (an event, a deadline, an invite).

    Checked before sending, so a retried task sends each message once per occasion,
    recipient and channel (portal | sms | email).
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("occasion", "channel", "recipient"),)

    id: Mapped[intpk]
    occasion: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[created_at]
