"""What the order page shows, and which of its forms a user gets; the case page's order panel.

The forms only mirror what the services allow (they check again on every POST).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.labels import LEVEL_LABELS
from portal.bodies.models import MediationBody
from portal.bodies.services import accepts
from portal.cases import access
from portal.cases import evidence as ev
from portal.cases.models import Case, ParticipantRole
from portal.cases.states import LABELS as STATUS_LABELS
from portal.cases.states import Actor, Trigger, can_fire
from portal.dispatch import duplicates, levels, ranking, services
from portal.dispatch.labels import (
    DEPARTMENT_LABELS,
    OUTCOME_LABELS,
    PERFORMANCE_LABELS,
    PRIORITY_LABELS,
    SOURCE_LABELS,
    STEP_LABELS,
)
from portal.dispatch.models import OUTBOUND, Outcome, Performance, Step, WorkOrder
from portal.i18n import gettext_, translate
from portal.web import panels


def owner_label(order: WorkOrder) -> str:
    if order.step is Step.CLOSED:
        return "—"
    if order.owner_body is not None:
        return order.owner_body.name
    if order.owner_area is not None:
        return translate("Centre of {area}", area=order.owner_area.name)
    return "—"


def _eligible_bodies(session: Session, order: WorkOrder) -> list[tuple[int, str]]:
    """Every body the order could go to: active, taking its type, at its level or above."""
    bodies = session.execute(select(MediationBody).where(MediationBody.is_active.is_(True))
                             .order_by(MediationBody.level, MediationBody.name)).scalars()
    return [(b.id, f"{b.name} · {gettext_(LEVEL_LABELS[b.level])} · {b.area.name}")
            for b in bodies if accepts(b, order.case.dispute_type)
            and levels.at_least(b.level, order.level)]


def _rights(session: Session, order: WorkOrder, user: User) -> dict[str, bool]:
    manage = services.can_manage(session, order, user)
    # Administrators see every order; moving one is the area's dispatchers' work.
    dispatcher = manage and user.role is Role.DISPATCHER
    body = (user.role is Role.BODY_ADMIN and order.owner_body_id is not None
            and order.owner_body_id == user.body_id)
    status, step = order.case.status, order.step
    open_ = step is not Step.CLOSED
    return {
        "dispatch": dispatcher and step is Step.DISPATCH,
        "accept": body and step is Step.ACCEPT,
        "return": body and step is Step.ACCEPT,
        "escalate": (dispatcher or body) and open_ and levels.next_level(order.level) is not None
        and can_fire(status, Trigger.ESCALATE, Actor.DISPATCHER),
        "transfer": (dispatcher or body) and open_
        and can_fire(status, Trigger.TRANSFER, Actor.DISPATCHER),
        "follow_up": (dispatcher or body) and step is Step.FOLLOW_UP,
        "close": (dispatcher or user.role is Role.ADMIN) and step in (Step.REVIEW,
                                                                     Step.FOLLOW_UP),
        "merge": dispatcher and step in (Step.DISPATCH, Step.ACCEPT),
        "photos": ev.may_upload(session, order.case, user),
    }


def _load(order: WorkOrder) -> None:
    """Load what the template reads: it renders after the session has closed."""
    for step in order.steps:
        _ = (step.owner_body, step.owner_area)
    _ = (order.area, order.owner_area, order.owner_body, order.reporter, order.transfers,
         order.follow_ups, order.ratings, order.case.participants, order.case.evidence)


def order_context(session: Session, order: WorkOrder, user: User) -> dict[str, Any]:
    _load(order)
    rights = _rights(session, order, user)
    case = order.case
    suggestions = ranking.suggest(session, order) if rights["dispatch"] else []
    parties = [p for p in case.participants if p.role is not ParticipantRole.AGENT]
    found = duplicates.find_duplicates(session, order) if (
        rights["merge"] or order.duplicate_of_id) else []
    return {
        "order": order, "case": case, "rights": rights, "owner": owner_label(order),
        "now": dt.datetime.now(dt.UTC),
        "status_label": gettext_(STATUS_LABELS[case.status]),
        "source_label": gettext_(SOURCE_LABELS[order.source]),
        "department_label": gettext_(DEPARTMENT_LABELS[order.department])
        if order.department else "",
        "priority_label": gettext_(PRIORITY_LABELS[order.priority]),
        "outcome_label": gettext_(OUTCOME_LABELS[order.outcome]) if order.outcome else "",
        "level_label": lambda level: gettext_(LEVEL_LABELS[level]),
        "step_label": lambda step: gettext_(STEP_LABELS[step]),
        "performance_label": lambda p: gettext_(PERFORMANCE_LABELS[p]),
        "department_name": lambda d: gettext_(DEPARTMENT_LABELS[d]),
        "suggestions": [{"id": s.body.id, "name": s.body.name, "score": s.score,
                         "level": gettext_(LEVEL_LABELS[s.body.level]),
                         "area": s.body.area.name,
                         "reasons": [translate(r.msgid, **r.params) for r in s.reasons]}
                        for s in suggestions],
        "bodies": _eligible_bodies(session, order) if rights["dispatch"] else [],
        "duplicates": [(d, d.case.number, d.case.title) for d in found],
        "merge_options": [(d.id, d.case.number) for d in found],
        "outbound": [(d.value, gettext_(DEPARTMENT_LABELS[d])) for d in OUTBOUND],
        "performances": [(p.value, gettext_(PERFORMANCE_LABELS[p])) for p in Performance],
        "needs_visit": order.outcome in (Outcome.AGREEMENT, Outcome.CONFIRMED),
        "parties": parties,
        "party_options": [(p.name, p.name) for p in parties],
        "evidence": list(case.evidence),
    }


def _panel(session: Session, case: Case, user: User) -> dict[str, Any] | None:
    """On the case page: where the order stands; parties may rate the handling."""
    order = services.order_of(session, case.id)
    if order is None:
        return None
    capacities = access.capacities(session, case, user)
    party = next((p for p in case.participants if p.user_id == user.id
                  and p.role is not ParticipantRole.AGENT), None)
    can_rate = (party is not None and bool(capacities & {Actor.APPLICANT, Actor.RESPONDENT})
                and order.step in (Step.FOLLOW_UP, Step.REVIEW, Step.CLOSED)
                and not any(r.participant_id == party.id for r in order.ratings))
    return {"panel": "order", "order": order, "owner": owner_label(order),
            "staff": user.role is not Role.PARTY, "can_rate": can_rate,
            "participant_id": party.id if party else None,
            "step_label": gettext_(STEP_LABELS[order.step]),
            "outcome_label": gettext_(OUTCOME_LABELS[order.outcome]) if order.outcome else "",
            "now": dt.datetime.now(dt.UTC), "number": case.number,
            "form": None, "typed": {}}


panels.register(panels.Panel(name="order", template="orders/_panel.html", order=3,
                             column="side", collect=_panel))
