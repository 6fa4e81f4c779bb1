"""Service receipts (送达回证): which notices reached which party, how and when, read
from the notification deliveries of the case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from documents.data import ServiceReceiptData
from portal.casefile import labels
from portal.casefile.labels import local
from portal.casefile.mapping import phone_of
from portal.cases.models import Case, CaseParticipant
from portal.mediation.models import MediationSession
from portal.notifications.models import Delivery, Notification, OutboundMessage


def _contacts(session: Session, case: Case) -> dict[str, CaseParticipant]:
    """Phone numbers and e-mail addresses of everyone named in the case, to their party."""
    found: dict[str, CaseParticipant] = {}
    for p in case.participants:
        for address in (phone_of(session, p), p.email):
            if address:
                found.setdefault(address, p)
    return found


def _notice_titles(session: Session, case: Case) -> dict[str, str]:
    """Occasions (portal.notifications.delivery) on which a notice went to the parties."""
    titles = {f"event:{e.id}": labels.EVENT_NOTICES[e.trigger] for e in case.events
              if e.trigger in labels.EVENT_NOTICES}
    meetings = session.execute(select(MediationSession.id).where(
        MediationSession.case_id == case.id)).scalars()
    for meeting_id in meetings:
        for kind, title in labels.SESSION_NOTICES.items():
            titles[f"session:{meeting_id}:{kind}"] = title
    return titles


def _texts(session: Session, deliveries: Sequence[Delivery]) -> dict[int, str]:
    """What each event notice said, from the outbox gateways' copies (none with a real
    gateway). Session notices are left out: they carry each invitee's personal join link.

    A delivery is claimed just before its message is handed to the gateway, so its message
    is the first one to the same address on the same channel at or after it.
    """
    deliveries = [d for d in deliveries if d.occasion.startswith("event:")]
    if not deliveries:
        return {}
    queues: dict[tuple[str, str], list[OutboundMessage]] = {}
    for m in session.execute(select(OutboundMessage).where(
            OutboundMessage.recipient.in_({d.recipient for d in deliveries}),
            OutboundMessage.created_at >= min(d.created_at for d in deliveries))
            .order_by(OutboundMessage.id)).scalars():
        queues.setdefault((m.channel, m.recipient), []).append(m)
    found: dict[int, str] = {}
    for d in sorted(deliveries, key=lambda d: d.created_at):
        queue = queues.get((d.channel, d.recipient), [])
        while queue and queue[0].created_at < d.created_at:
            queue.pop(0)
        if queue:
            found[d.id] = queue.pop(0).body
    return found


def _served(titles: dict[str, str], contacts: dict[str, CaseParticipant]) -> Select[Delivery]:
    return select(Delivery).where(
        Delivery.occasion.in_(titles), Delivery.channel.in_(labels.CHANNELS),
        Delivery.recipient.in_(contacts))


def has_service_receipts(session: Session, case: Case) -> bool:
    """Whether ``service_receipts`` has any, without building them (the case page asks)."""
    titles, contacts = _notice_titles(session, case), _contacts(session, case)
    return bool(titles and contacts) and session.execute(
        _served(titles, contacts).limit(1)).first() is not None


def service_receipts(session: Session, case: Case) -> tuple[ServiceReceiptData, ...]:
    """One receipt per notice and person served: the channels, addresses and time it went
    out, and when the person read it in the portal (an event's in-portal notice)."""
    titles, contacts = _notice_titles(session, case), _contacts(session, case)
    if not titles or not contacts:
        return ()
    deliveries = list(session.execute(
        _served(titles, contacts).order_by(Delivery.id)).scalars())
    texts = _texts(session, deliveries)
    groups: dict[tuple[str, int], list[Delivery]] = {}
    for d in deliveries:
        groups.setdefault((d.occasion, contacts[d.recipient].id), []).append(d)
    body = case.body.name if case.body else ""
    out = []
    for (occasion, _), items in groups.items():
        person = contacts[items[0].recipient]
        read = _read_at(session, occasion, person)
        said = next((texts[d.id] for d in items if d.id in texts), "")
        notes = [f"送达内容：{said}"] if said else []
        if read is not None:
            notes.append(f"受送达人已于{local(read):%Y-%m-%d %H:%M}在平台查阅")
        out.append(ServiceReceiptData(
            case_number=case.number, body_name=body, document_title=titles[occasion],
            addressee=person.name,
            method=f"电子送达（{'、'.join(labels.CHANNELS[d.channel] for d in items)}）",
            address="；".join(d.recipient for d in items),
            served_at=local(items[0].created_at), received_at=local(read) if read else None,
            server=labels.SERVER, notes="。".join(notes)))
    return tuple(sorted(out, key=lambda r: (r.served_at, r.addressee)))


def _read_at(session: Session, occasion: str, person: CaseParticipant) -> dt.datetime | None:
    kind, _, key = occasion.partition(":")
    if kind != "event" or person.user_id is None or not key.isdigit():
        return None
    return session.execute(select(Notification.read_at).where(
        Notification.event_id == int(key), Notification.user_id == person.user_id)
    ).scalar_one_or_none()
