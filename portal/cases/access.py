"""Who may see and act on a case, and in which capacity."""

from __future__ import annotations

from sqlalchemy import Select, exists, false, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.services import area_subtree_ids
from portal.cases.models import Case, CaseParticipant, ParticipantRole
from portal.cases.states import Actor
from portal.db.memo import remembered
from portal.dispatch.models import WorkOrder


def capacities(session: Session, case: Case, user: User | None) -> set[Actor]:
    if user is None:
        return {Actor.SYSTEM}
    if not user.is_active:
        return set()
    found: set[Actor] = set()
    if user.role is Role.PARTY:
        for p in case.participants:
            if p.user_id == user.id:
                found.add(Actor.RESPONDENT if p.role is ParticipantRole.RESPONDENT
                          else Actor.APPLICANT)
    elif user.role is Role.MEDIATOR:
        if case.mediator_id == user.id:
            found.add(Actor.MEDIATOR)
    elif user.role is Role.BODY_ADMIN:
        if case.body_id is not None and case.body_id == user.body_id:
            found.add(Actor.BODY)
    elif user.role is Role.DISPATCHER:
        if (user.area_id is not None and case.area_id is not None
                and case.area_id in area_subtree_ids(session, user.area_id)):
            found.add(Actor.DISPATCHER)
    elif user.role is Role.COURT_CLERK:
        if case.court_name and case.court_name == user.court_name:
            found.add(Actor.COURT)
    elif user.role is Role.GRID_WORKER:
        if _reported(session, case.id, user.id):
            found.add(Actor.REPORTER)
    elif user.role is Role.ADMIN:
        found.add(Actor.ADMIN)
    return found


def _reported(session: Session, case_id: int, user_id: int) -> bool:
    # Asked by every panel of the case page: remembered for the transaction.
    def query() -> bool:
        return session.execute(select(WorkOrder.id).where(
            WorkOrder.case_id == case_id, WorkOrder.reporter_id == user_id)).first() is not None

    return remembered(session, ("reported", case_id, user_id), query, (WorkOrder,))


def can_view(session: Session, case: Case, user: User) -> bool:
    return bool(capacities(session, case, user))


def visible_cases(session: Session, user: User) -> Select[Case]:
    """A query of the cases ``user`` may see; mirrors ``capacities``."""
    query = select(Case)
    if not user.is_active:
        return query.where(false())
    match user.role:
        case Role.PARTY:
            mine = exists().where(CaseParticipant.case_id == Case.id,
                                  CaseParticipant.user_id == user.id)
            return query.where(mine)
        case Role.MEDIATOR:
            return query.where(Case.mediator_id == user.id)
        case Role.BODY_ADMIN:
            if user.body_id is None:
                return query.where(false())
            return query.where(Case.body_id == user.body_id)
        case Role.DISPATCHER:
            if user.area_id is None:
                return query.where(false())
            return query.where(Case.area_id.in_(area_subtree_ids(session, user.area_id)))
        case Role.COURT_CLERK:
            if not user.court_name:
                return query.where(false())
            return query.where(Case.court_name == user.court_name)
        case Role.GRID_WORKER:
            reported = exists().where(WorkOrder.case_id == Case.id,
                                      WorkOrder.reporter_id == user.id)
            return query.where(reported)
        case Role.ADMIN:
            return query
        case _:
            return query.where(false())
