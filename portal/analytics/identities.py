"""The identifying keys of a case's parties, kept in ``alert_party_keys`` for look-ups.

A person is known by ID number, account, phone and home address; an organisation by its
name (normalised, so "某服装有限公司" and "某服装 有限公司" are one respondent). The place of the
dispute counts as an address too. Agents are left out: a lawyer in many cases is no sign.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal.analytics.models import PartyKey
from portal.cases.models import Case, CaseParticipant, ParticipantRole, PartyKind
from portal.dispatch.duplicates import normalise_address
from portal.dispatch.models import WorkOrder

PERSON_KINDS = ("id", "user", "phone", "address")  # what makes the "same person" (repeat)
CONTACT_KINDS = ("id", "user", "phone")  # a party coming back (failed, then new)
RESPONDENT_KINDS = ("id", "org")  # one respondent (group)
VALUE_MAX = 300


def usable_address(address: str) -> str:
    """The normalised address, or "" when too vague to tell households apart: it needs a
    house or plot number, or "枫源村" alone would join a whole village."""
    found = normalise_address(address)
    return found[:VALUE_MAX] if len(found) >= 6 and any(c.isdigit() for c in found) else ""


def party_identity(p: CaseParticipant) -> str:
    return p.id_number or p.phone or f"participant:{p.id}"


def _participant_keys(p: CaseParticipant) -> list[tuple[str, str]]:
    if p.kind is PartyKind.ORGANISATION:
        name = normalise_address(p.name)
        return [("org", name[:VALUE_MAX])] if name else []
    keys = []
    if p.id_number:
        keys.append(("id", p.id_number.upper()))
    if p.user_id is not None:
        keys.append(("user", str(p.user_id)))
    if p.phone:
        keys.append(("phone", p.phone))
    if address := usable_address(p.address):
        keys.append(("address", address))
    return keys


def keys_of(case: Case, order: WorkOrder) -> list[PartyKey]:
    at = order.created_at
    rows = []
    for p in case.participants:
        if p.role is ParticipantRole.AGENT:
            continue
        rows += [PartyKey(case_id=case.id, role=p.role.value, kind=kind, value=value,
                          party=party_identity(p), area_id=order.area_id, received_at=at)
                 for kind, value in _participant_keys(p)]
    if place := usable_address(order.address):
        rows.append(PartyKey(case_id=case.id, role="place", kind="address", value=place,
                             party=f"place:{order.id}", area_id=order.area_id, received_at=at))
    return rows


def refresh(session: Session, pairs: Iterable[tuple[Case, WorkOrder]]) -> None:
    """Replace the keys of these cases with what their participants say now."""
    pairs = list(pairs)
    if not pairs:
        return
    session.execute(delete(PartyKey).where(PartyKey.case_id.in_([c.id for c, _ in pairs])))
    for case, order in pairs:
        session.add_all(keys_of(case, order))
    session.flush()


def window(at: dt.datetime, days: int) -> tuple[dt.datetime, dt.datetime]:
    span = dt.timedelta(days=days)
    return at - span, at + span
