"""Near-duplicate reports: flagged when they come in, merged by a dispatcher.

Two orders are near duplicates when they were created within ``WINDOW`` of each other and
share a party (the same phone number or ID number), or lie at the same address (compared
without spaces and punctuation, case-insensitively) and are of the same dispute type.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit import services as audit
from portal.bodies.services import area_subtree_ids
from portal.cases import services as cases
from portal.cases.models import Case, CaseParticipant
from portal.cases.services import MissingInput, NotAllowed
from portal.cases.states import Trigger
from portal.dispatch.models import Step, WorkOrder
from portal.i18n import N_

WINDOW = dt.timedelta(days=30)
REASON_MAX = 2000
# Orders still this early may be folded into another; later they carry their own history.
MERGEABLE_STEPS = frozenset({Step.DISPATCH, Step.ACCEPT})


def normalise_address(address: str) -> str:
    """Letters and digits only, case-folded: "枫源村 3 组，12号" == "枫源村3组12号"."""
    folded = unicodedata.normalize("NFKC", address).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def _keys(case: Case) -> tuple[set[str], set[str]]:
    phones = {p.phone for p in case.participants if p.phone}
    ids = {p.id_number for p in case.participants if p.id_number}
    return phones, ids


def find_duplicates(session: Session, order: WorkOrder) -> list[WorkOrder]:
    """Open orders that look like the same dispute as ``order``, oldest first."""
    created = order.created_at
    window = [WorkOrder.id != order.id, WorkOrder.step != Step.CLOSED,
              WorkOrder.merged_into_id.is_(None),
              WorkOrder.created_at >= created - WINDOW, WorkOrder.created_at <= created + WINDOW]
    found: dict[int, WorkOrder] = {}
    phones, ids = _keys(order.case)
    shared = [c for c in (CaseParticipant.phone.in_(phones) if phones else None,
                          CaseParticipant.id_number.in_(ids) if ids else None) if c is not None]
    if shared:
        query = (select(WorkOrder).join(CaseParticipant,
                                        CaseParticipant.case_id == WorkOrder.case_id)
                 .where(*window, or_(*shared)))
        found.update((o.id, o) for o in session.execute(query).scalars())
    place = normalise_address(order.address)
    if place:
        query = (select(WorkOrder).join(Case, Case.id == WorkOrder.case_id)
                 .where(*window, WorkOrder.address != "",
                        Case.dispute_type == order.case.dispute_type))
        found.update((o.id, o) for o in session.execute(query).scalars()
                     if normalise_address(o.address) == place)
    return sorted(found.values(), key=lambda o: (o.created_at, o.id))


def _dispatcher_of(session: Session, order: WorkOrder, user: User) -> bool:
    return (user.role is Role.DISPATCHER and user.is_active and user.area_id is not None
            and order.area_id in area_subtree_ids(session, user.area_id))


def merge(session: Session, *, order: WorkOrder, into: WorkOrder, actor: User,
          reason: str) -> None:
    """Fold the duplicate ``order`` into ``into``: its parties and evidence move over, its
    case closes (MERGE) with ``reason`` on the timeline."""
    if not (_dispatcher_of(session, order, actor) or _dispatcher_of(session, into, actor)):
        raise NotAllowed(f"merge of order {order.id}")
    if into.id == order.id:
        raise MissingInput("into_id", N_("An order cannot be merged into itself."))
    if into.step is Step.CLOSED or into.merged_into_id is not None:
        raise MissingInput("into_id", N_("That order is closed; choose an open one."))
    if order.step not in MERGEABLE_STEPS:
        raise MissingInput("into_id", N_("This order is already being handled; only orders "
                                         "waiting for dispatch or acceptance can be merged."))
    clean = reason.strip()[:REASON_MAX]
    if not clean:
        raise MissingInput("reason", N_("Say why the two orders are the same dispute; it is "
                                        "shown on the case timeline."))
    source, target = order.case, into.case
    # Fired first: it checks the actor and the case's status before anything moves.
    event = cases.transition(session, case=source, trigger=Trigger.MERGE, actor=actor,
                             reason=clean)
    phones, ids = _keys(target)
    staying = {p.id for p in source.participants
               if (p.phone and p.phone in phones) or (p.id_number and p.id_number in ids)}
    moved = 0
    for participant in [p for p in source.participants if p.id not in staying]:
        if participant.represents_id in staying:
            participant.represents_id = None
        target.participants.append(participant)
        moved += 1
    evidence = list(source.evidence)
    for item in evidence:
        target.evidence.append(item)
    order.merged_into_id = into.id
    if into.duplicate_of_id == order.id:
        into.duplicate_of_id = None
    session.flush()
    audit.append(session, kind="case", action="order.merged", subject=f"case:{source.number}",
                 actor_id=actor.id,
                 data={"order": order.id, "into": into.id, "into_case": target.number,
                       "event": event.id, "participants": moved, "evidence": len(evidence)})

