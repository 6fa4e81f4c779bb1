"""Case lifecycle (DESIGN.md §5): one transition table and pure queries over it."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TRANSFERRED = "transferred"
    AWAITING_RESPONDENT = "awaiting_respondent"
    RESPONDENT_AGREED = "respondent_agreed"
    MEDIATOR_ASSIGNED = "mediator_assigned"
    IN_MEDIATION = "in_mediation"
    AGREEMENT_DRAFTED = "agreement_drafted"
    SIGNING = "signing"
    AGREEMENT_IN_EFFECT = "agreement_in_effect"
    CONFIRMATION_REQUESTED = "confirmation_requested"
    CONFIRMED = "confirmed"
    CONFIRMATION_REFUSED = "confirmation_refused"
    MEDIATION_FAILED = "mediation_failed"
    FILING_REQUESTED = "filing_requested"
    FILING_RECEIVED = "filing_received"
    DOCKETED = "docketed"
    FILING_REJECTED = "filing_rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class Trigger(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    DECLINE = "decline"
    RESUBMIT = "resubmit"
    TRANSFER = "transfer"
    REFER = "refer"
    DISPATCH = "dispatch"
    RETURN = "return"
    ESCALATE = "escalate"
    MERGE = "merge"
    CONTACT_RESPONDENT = "contact_respondent"
    RESPONDENT_AGREE = "respondent_agree"
    RESPONDENT_REFUSE = "respondent_refuse"
    RESPONDENT_TIMEOUT = "respondent_timeout"
    ASSIGN_MEDIATOR = "assign_mediator"
    REASSIGN_MEDIATOR = "reassign_mediator"
    START_MEDIATION = "start_mediation"
    DRAFT_AGREEMENT = "draft_agreement"
    REVISE_AGREEMENT = "revise_agreement"
    OPEN_SIGNING = "open_signing"
    ALL_SIGNED = "all_signed"
    FAIL_MEDIATION = "fail_mediation"
    MEDIATION_TIMEOUT = "mediation_timeout"
    REQUEST_CONFIRMATION = "request_confirmation"
    COURT_CONFIRM = "court_confirm"
    COURT_REFUSE_CONFIRMATION = "court_refuse_confirmation"
    REQUEST_FILING = "request_filing"
    COURT_RECEIVE = "court_receive"
    DOCKET = "docket"
    REJECT_FILING = "reject_filing"
    WITHDRAW = "withdraw"
    CLOSE = "close"


class Actor(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"
    MEDIATOR = "mediator"
    BODY = "body"  # administrator of the mediation body handling the case
    DISPATCHER = "dispatcher"
    COURT = "court"
    SYSTEM = "system"  # timers and automatic steps
    ADMIN = "admin"
    REPORTER = "reporter"  # the grid worker who reported the dispute: sees it, adds photos


# Actors outside the portal: no account here speaks for them. Their moves reach a case only
# through the service that authenticated them another way (the court's signed notices, in
# portal.filing), as ``transition(..., actor=None, as_actor=Actor.COURT)``.
EXTERNAL: frozenset[Actor] = frozenset({Actor.COURT})


class IllegalTransition(Exception):
    def __init__(self, status: Status, trigger: Trigger) -> None:
        super().__init__(f"cannot '{trigger}' a case that is '{status}'")
        self.status = status
        self.trigger = trigger

    # Default pickling would call __init__ with the message alone and fail.
    def __reduce__(self) -> tuple[type[IllegalTransition], tuple[Status, Trigger]]:
        return (type(self), (self.status, self.trigger))


@dataclass(frozen=True)
class Transition:
    trigger: Trigger
    source: Status
    target: Status
    actors: frozenset[Actor]


def _t(
    trigger: Trigger, sources: Iterable[Status], target: Status, *actors: Actor
) -> tuple[Transition, ...]:
    return tuple(Transition(trigger, s, target, frozenset(actors)) for s in sources)


# fmt: off
S, T, A = Status, Trigger, Actor
_BEFORE_AGREEMENT = (S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.DECLINED, S.AWAITING_RESPONDENT,
                     S.RESPONDENT_AGREED, S.MEDIATOR_ASSIGNED, S.IN_MEDIATION,
                     S.AGREEMENT_DRAFTED, S.SIGNING)
_ESCALABLE = (S.SUBMITTED, S.ACCEPTED, S.DECLINED, S.AWAITING_RESPONDENT, S.RESPONDENT_AGREED,
              S.MEDIATOR_ASSIGNED, S.IN_MEDIATION, S.AGREEMENT_DRAFTED, S.MEDIATION_FAILED)
_ENDED = (S.AGREEMENT_IN_EFFECT, S.CONFIRMED, S.CONFIRMATION_REFUSED, S.MEDIATION_FAILED,
          S.DOCKETED, S.FILING_REJECTED, S.WITHDRAWN, S.TRANSFERRED, S.DECLINED)

TRANSITIONS: tuple[Transition, ...] = (
    *_t(T.SUBMIT, [S.DRAFT], S.SUBMITTED, A.APPLICANT),
    *_t(T.ACCEPT, [S.SUBMITTED], S.ACCEPTED, A.BODY),
    *_t(T.DECLINE, [S.SUBMITTED], S.DECLINED, A.BODY),
    # The party may take a declined case to another body.
    *_t(T.RESUBMIT, [S.DECLINED], S.SUBMITTED, A.APPLICANT),
    # To police, arbitration, another department or another body.
    *_t(T.TRANSFER, [S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.DECLINED, S.AWAITING_RESPONDENT,
                     S.MEDIATION_FAILED],
        S.TRANSFERRED, A.BODY, A.DISPATCHER),
    # To another mediation body or level inside the portal: it reviews the case afresh.
    *_t(T.REFER, [S.SUBMITTED, S.ACCEPTED], S.SUBMITTED, A.BODY, A.DISPATCHER),
    # The order loop (DESIGN.md §6). A reported or transferred dispute waits as a draft
    # until the centre dispatches it; a returned, declined or escalated one waits, submitted
    # but with no body, for the centre of its (new) level.
    *_t(T.DISPATCH, [S.DRAFT, S.SUBMITTED, S.DECLINED], S.SUBMITTED, A.DISPATCHER),
    *_t(T.RETURN, [S.SUBMITTED], S.SUBMITTED, A.BODY),
    *_t(T.ESCALATE, _ESCALABLE, S.SUBMITTED, A.BODY, A.DISPATCHER, A.SYSTEM),
    # A near-duplicate report folded into the order it repeats.
    *_t(T.MERGE, [S.DRAFT, S.SUBMITTED], S.CLOSED, A.DISPATCHER),
    *_t(T.CONTACT_RESPONDENT, [S.ACCEPTED], S.AWAITING_RESPONDENT, A.BODY, A.MEDIATOR, A.SYSTEM),
    *_t(T.RESPONDENT_AGREE, [S.AWAITING_RESPONDENT], S.RESPONDENT_AGREED, A.RESPONDENT, A.BODY),
    *_t(T.RESPONDENT_REFUSE, [S.AWAITING_RESPONDENT], S.MEDIATION_FAILED, A.RESPONDENT, A.BODY),
    # No answer within 3 working days.
    *_t(T.RESPONDENT_TIMEOUT, [S.AWAITING_RESPONDENT], S.MEDIATION_FAILED, A.SYSTEM),
    *_t(T.ASSIGN_MEDIATOR, [S.RESPONDENT_AGREED], S.MEDIATOR_ASSIGNED, A.BODY, A.SYSTEM),
    # A party asks for another mediator, or the mediator declines the case.
    *_t(T.REASSIGN_MEDIATOR, [S.MEDIATOR_ASSIGNED, S.IN_MEDIATION], S.MEDIATOR_ASSIGNED, A.BODY),
    *_t(T.START_MEDIATION, [S.MEDIATOR_ASSIGNED], S.IN_MEDIATION, A.MEDIATOR),
    *_t(T.DRAFT_AGREEMENT, [S.IN_MEDIATION], S.AGREEMENT_DRAFTED, A.MEDIATOR),
    *_t(T.REVISE_AGREEMENT, [S.AGREEMENT_DRAFTED, S.SIGNING], S.IN_MEDIATION, A.MEDIATOR),
    *_t(T.OPEN_SIGNING, [S.AGREEMENT_DRAFTED], S.SIGNING, A.MEDIATOR),
    *_t(T.ALL_SIGNED, [S.SIGNING], S.AGREEMENT_IN_EFFECT, A.SYSTEM),
    # Ends with a termination record.
    *_t(T.FAIL_MEDIATION, [S.MEDIATOR_ASSIGNED, S.IN_MEDIATION, S.AGREEMENT_DRAFTED, S.SIGNING],
        S.MEDIATION_FAILED, A.MEDIATOR, A.BODY),
    # 30 days passed without an extension.
    *_t(T.MEDIATION_TIMEOUT, [S.IN_MEDIATION, S.AGREEMENT_DRAFTED], S.MEDIATION_FAILED, A.SYSTEM),
    *_t(T.REQUEST_CONFIRMATION, [S.AGREEMENT_IN_EFFECT], S.CONFIRMATION_REQUESTED,
        A.APPLICANT, A.RESPONDENT),
    *_t(T.COURT_CONFIRM, [S.CONFIRMATION_REQUESTED], S.CONFIRMED, A.COURT),
    *_t(T.COURT_REFUSE_CONFIRMATION, [S.CONFIRMATION_REQUESTED], S.CONFIRMATION_REFUSED, A.COURT),
    *_t(T.REQUEST_FILING, [S.MEDIATION_FAILED], S.FILING_REQUESTED, A.APPLICANT),
    *_t(T.COURT_RECEIVE, [S.FILING_REQUESTED], S.FILING_RECEIVED, A.COURT, A.SYSTEM),
    *_t(T.DOCKET, [S.FILING_RECEIVED], S.DOCKETED, A.COURT),
    *_t(T.REJECT_FILING, [S.FILING_REQUESTED, S.FILING_RECEIVED], S.FILING_REJECTED, A.COURT),
    # Once the agreement is in effect it binds the parties; withdrawing is no longer possible.
    *_t(T.WITHDRAW, _BEFORE_AGREEMENT, S.WITHDRAWN, A.APPLICANT),
    *_t(T.CLOSE, _ENDED, S.CLOSED, A.BODY, A.DISPATCHER, A.SYSTEM, A.ADMIN),
)
# fmt: on

del S, T, A, _BEFORE_AGREEMENT, _ENDED, _ESCALABLE

TERMINAL: frozenset[Status] = frozenset({Status.CLOSED})

# English msgids: the web layer passes these through gettext.
LABELS: dict[Status, str] = {
    Status.DRAFT: "Draft",
    Status.SUBMITTED: "Submitted",
    Status.ACCEPTED: "Accepted",
    Status.DECLINED: "Declined",
    Status.TRANSFERRED: "Transferred",
    Status.AWAITING_RESPONDENT: "Awaiting respondent",
    Status.RESPONDENT_AGREED: "Respondent agreed",
    Status.MEDIATOR_ASSIGNED: "Mediator assigned",
    Status.IN_MEDIATION: "In mediation",
    Status.AGREEMENT_DRAFTED: "Agreement drafted",
    Status.SIGNING: "Signing",
    Status.AGREEMENT_IN_EFFECT: "Agreement in effect",
    Status.CONFIRMATION_REQUESTED: "Judicial confirmation requested",
    Status.CONFIRMED: "Confirmed by the court",
    Status.CONFIRMATION_REFUSED: "Confirmation refused by the court",
    Status.MEDIATION_FAILED: "Mediation failed",
    Status.FILING_REQUESTED: "Court filing requested",
    Status.FILING_RECEIVED: "Filing received by the court",
    Status.DOCKETED: "Docketed",
    Status.FILING_REJECTED: "Filing rejected",
    Status.WITHDRAWN: "Withdrawn",
    Status.CLOSED: "Closed",
}

TRIGGER_LABELS: dict[Trigger, str] = {
    Trigger.SUBMIT: "Submit case",
    Trigger.ACCEPT: "Accept case",
    Trigger.DECLINE: "Decline case",
    Trigger.RESUBMIT: "Submit to another body",
    Trigger.TRANSFER: "Transfer case",
    Trigger.REFER: "Refer to another body",
    Trigger.DISPATCH: "Dispatch to a body",
    Trigger.RETURN: "Return to the centre",
    Trigger.ESCALATE: "Escalate to the next level",
    Trigger.MERGE: "Merge into another order",
    Trigger.CONTACT_RESPONDENT: "Contact respondent",
    Trigger.RESPONDENT_AGREE: "Agree to mediation",
    Trigger.RESPONDENT_REFUSE: "Refuse mediation",
    Trigger.RESPONDENT_TIMEOUT: "Respondent did not answer",
    Trigger.ASSIGN_MEDIATOR: "Assign mediator",
    Trigger.REASSIGN_MEDIATOR: "Reassign mediator",
    Trigger.START_MEDIATION: "Start mediation",
    Trigger.DRAFT_AGREEMENT: "Draft agreement",
    Trigger.REVISE_AGREEMENT: "Revise agreement",
    Trigger.OPEN_SIGNING: "Open for signing",
    Trigger.ALL_SIGNED: "All parties signed",
    Trigger.FAIL_MEDIATION: "End mediation without agreement",
    Trigger.MEDIATION_TIMEOUT: "Mediation period expired",
    Trigger.REQUEST_CONFIRMATION: "Request judicial confirmation",
    Trigger.COURT_CONFIRM: "Confirm agreement",
    Trigger.COURT_REFUSE_CONFIRMATION: "Refuse confirmation",
    Trigger.REQUEST_FILING: "Request court filing",
    Trigger.COURT_RECEIVE: "Receive filing",
    Trigger.DOCKET: "Docket case",
    Trigger.REJECT_FILING: "Reject filing",
    Trigger.WITHDRAW: "Withdraw case",
    Trigger.CLOSE: "Close case",
}


def _reachable(start: Status, edges: dict[Status, set[Status]]) -> set[Status]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in edges.get(queue.popleft(), set()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


# Checked with explicit raises rather than assert so `python -O` cannot skip them.
def _build_index() -> dict[tuple[Status, Trigger], Transition]:
    index: dict[tuple[Status, Trigger], Transition] = {}
    forward: dict[Status, set[Status]] = {}
    backward: dict[Status, set[Status]] = {}
    for tr in TRANSITIONS:
        key = (tr.source, tr.trigger)
        if key in index:
            raise RuntimeError(f"duplicate transition: '{tr.trigger}' from '{tr.source}'")
        if tr.source in TERMINAL:
            raise RuntimeError(f"terminal status '{tr.source}' has outgoing '{tr.trigger}'")
        if not tr.actors:
            raise RuntimeError(f"transition '{tr.trigger}' from '{tr.source}' has no actors")
        index[key] = tr
        forward.setdefault(tr.source, set()).add(tr.target)
        backward.setdefault(tr.target, set()).add(tr.source)
    if unreachable := set(Status) - _reachable(Status.DRAFT, forward):
        raise RuntimeError(f"unreachable from draft: {sorted(unreachable)}")
    if stuck := set(Status) - _reachable(Status.CLOSED, backward):
        raise RuntimeError(f"no path to closed from: {sorted(stuck)}")
    if set(LABELS) != set(Status) or set(TRIGGER_LABELS) != set(Trigger):
        raise RuntimeError("LABELS / TRIGGER_LABELS must cover every Status / Trigger")
    return index


_INDEX = _build_index()


def _lookup(status: Status, trigger: Trigger) -> Transition:
    try:
        return _INDEX[(status, trigger)]
    except KeyError:
        raise IllegalTransition(status, trigger) from None


def next_status(status: Status, trigger: Trigger) -> Status:
    return _lookup(status, trigger).target


def allowed_triggers(status: Status) -> list[Trigger]:
    return [tr.trigger for tr in TRANSITIONS if tr.source == status]


def actors_for(status: Status, trigger: Trigger) -> frozenset[Actor]:
    return _lookup(status, trigger).actors


def can_fire(status: Status, trigger: Trigger, actor: Actor) -> bool:
    tr = _INDEX.get((status, trigger))
    return tr is not None and actor in tr.actors
