"""The joint application for judicial confirmation: who must apply, by when, who has.

Every party (applicant or respondent) applies, through its own account or its agent's,
within 30 days after the agreement took effect (deadlines.RULES[CONFIRMATION]); after that
the portal refuses, because the court would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.audit import services as audit
from portal.casefile.labels import local_date
from portal.casefile.mapping import last_event
from portal.cases.models import Case, CaseParticipant, ParticipantRole
from portal.cases.states import Status
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.models import DeadlineKind
from portal.filing.errors import FilingRefused
from portal.filing.models import ConfirmationApplicant, Filing
from portal.i18n import N_

NOT_OPEN = N_("Judicial confirmation can be applied for only while the agreement is in "
              "effect and no application has been made.")
CLOSED = N_("The 30 days to apply for judicial confirmation ended on {date}. The court no "
            "longer accepts the joint application; the agreement still binds the parties.")
NOT_A_PARTY = N_("Only the parties, or their agents, apply for judicial confirmation.")
ALREADY = N_("You have already applied. The application goes to the court when every party "
             "has applied.")


def parties(case: Case) -> list[CaseParticipant]:
    return [p for p in case.participants
            if p.role in (ParticipantRole.APPLICANT, ParticipantRole.RESPONDENT)]


def speaks_for(case: Case, user: User) -> list[CaseParticipant]:
    """The parties ``user`` applies for: itself, and those it is the agent of."""
    own = {p.id for p in case.participants if p.user_id == user.id
           and p.role is not ParticipantRole.AGENT}
    own |= {p.represents_id for p in case.participants if p.user_id == user.id
            and p.role is ParticipantRole.AGENT and p.represents_id is not None}
    return [p for p in parties(case) if p.id in own]


def due_at(session: Session, case: Case) -> dt.datetime | None:
    """The end of the 30th day after the agreement took effect; None before it did."""
    effect = last_event(case, to=Status.AGREEMENT_IN_EFFECT)
    if effect is None:
        return None
    return deadlines.due_for(deadlines.calendar(session), DeadlineKind.CONFIRMATION,
                             effect.created_at)


def applications(session: Session, case: Case) -> list[ConfirmationApplicant]:
    return list(session.execute(select(ConfirmationApplicant).where(
        ConfirmationApplicant.case_id == case.id).order_by(ConfirmationApplicant.id)).scalars())


def chosen_court(session: Session, case: Case) -> str | None:
    found = applications(session, case)
    return found[0].court_id if found else None


def _check_open(session: Session, case: Case, now: dt.datetime) -> None:
    if case.status is not Status.AGREEMENT_IN_EFFECT:
        raise FilingRefused(NOT_OPEN)
    due = due_at(session, case)
    if due is None:
        raise FilingRefused(NOT_OPEN)
    if now > due:
        day = local_date(due)
        raise FilingRefused(CLOSED, date=day.isoformat() if day else "")


def record(session: Session, *, case: Case, user: User, court_id: str,
           now: dt.datetime | None = None) -> list[ConfirmationApplicant]:
    """``user``'s application for the parties it speaks for that have not applied yet."""
    _check_open(session, case, now or utcnow())
    mine = speaks_for(case, user)
    if not mine:
        raise FilingRefused(NOT_A_PARTY)
    done = {a.participant_id for a in applications(session, case)}
    rows = [ConfirmationApplicant(case_id=case.id, participant_id=p.id, user_id=user.id,
                                  court_id=court_id) for p in mine if p.id not in done]
    if not rows:
        raise FilingRefused(ALREADY)
    session.add_all(rows)
    session.flush()
    audit.append(session, kind="case", action="filing.confirmation_applied",
                 subject=f"case:{case.number}", actor_id=user.id,
                 data={"parties": [r.participant_id for r in rows], "court": court_id})
    return rows


def complete(session: Session, case: Case) -> bool:
    done = {a.participant_id for a in applications(session, case)}
    return all(p.id in done for p in parties(case))


def attach(session: Session, *, case: Case, filing: Filing) -> None:
    session.execute(update(ConfirmationApplicant).where(
        ConfirmationApplicant.case_id == case.id, ConfirmationApplicant.filing_id.is_(None))
        .values(filing_id=filing.id).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class PartyRow:
    name: str
    role: ParticipantRole
    applied_at: dt.datetime | None


@dataclass(frozen=True)
class State:
    """The joint application as the case page shows it to ``user``."""

    due_at: dt.datetime
    expired: bool
    parties: list[PartyRow]
    court_id: str | None  # chosen by the first party to apply
    may_apply: bool  # ``user`` speaks for a party that has not applied
    speaks: bool  # ``user`` is a party or an agent of one


def state(session: Session, case: Case, user: User,
          now: dt.datetime | None = None) -> State | None:
    """None when the case is not waiting for the joint application."""
    due = due_at(session, case)
    if case.status is not Status.AGREEMENT_IN_EFFECT or due is None:
        return None
    found = {a.participant_id: a for a in applications(session, case)}
    mine = speaks_for(case, user)
    expired = (now or utcnow()) > due
    rows = [PartyRow(p.name, p.role, found[p.id].applied_at if p.id in found else None)
            for p in parties(case)]
    return State(due_at=due, expired=expired, parties=rows,
                 court_id=next(iter(found.values())).court_id if found else None,
                 may_apply=not expired and any(p.id not in found for p in mine),
                 speaks=bool(mine))
