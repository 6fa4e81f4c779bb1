"""Tests for the case lifecycle in portal.cases.states (DESIGN.md §5)."""

from __future__ import annotations

import dataclasses
import pickle
from collections import deque
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.cases import states
from portal.cases.states import (
    LABELS,
    TERMINAL,
    TRANSITIONS,
    TRIGGER_LABELS,
    Actor,
    IllegalTransition,
    Status,
    Transition,
    Trigger,
    actors_for,
    allowed_triggers,
    can_fire,
    next_status,
)

S, T, A = Status, Trigger, Actor

# The specification, written out independently of the module so the two are checked
# against each other: trigger -> (sources, target, actors).
SPEC: dict[Trigger, tuple[list[Status], Status, set[Actor]]] = {
    T.SUBMIT: ([S.DRAFT], S.SUBMITTED, {A.APPLICANT}),
    T.ACCEPT: ([S.SUBMITTED], S.ACCEPTED, {A.BODY}),
    T.DECLINE: ([S.SUBMITTED], S.DECLINED, {A.BODY}),
    T.RESUBMIT: ([S.DECLINED], S.SUBMITTED, {A.APPLICANT}),
    T.TRANSFER: (
        [S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.DECLINED, S.AWAITING_RESPONDENT,
         S.MEDIATION_FAILED],
        S.TRANSFERRED,
        {A.BODY, A.DISPATCHER},
    ),
    T.REFER: ([S.SUBMITTED, S.ACCEPTED], S.SUBMITTED, {A.BODY, A.DISPATCHER}),
    T.DISPATCH: ([S.DRAFT, S.SUBMITTED, S.DECLINED], S.SUBMITTED, {A.DISPATCHER}),
    T.RETURN: ([S.SUBMITTED], S.SUBMITTED, {A.BODY}),
    T.ESCALATE: (
        [S.SUBMITTED, S.ACCEPTED, S.DECLINED, S.AWAITING_RESPONDENT, S.RESPONDENT_AGREED,
         S.MEDIATOR_ASSIGNED, S.IN_MEDIATION, S.AGREEMENT_DRAFTED, S.MEDIATION_FAILED],
        S.SUBMITTED,
        {A.BODY, A.DISPATCHER, A.SYSTEM},
    ),
    T.MERGE: ([S.DRAFT, S.SUBMITTED], S.CLOSED, {A.DISPATCHER}),
    T.CONTACT_RESPONDENT: ([S.ACCEPTED], S.AWAITING_RESPONDENT, {A.BODY, A.MEDIATOR, A.SYSTEM}),
    T.RESPONDENT_AGREE: ([S.AWAITING_RESPONDENT], S.RESPONDENT_AGREED, {A.RESPONDENT, A.BODY}),
    T.RESPONDENT_REFUSE: ([S.AWAITING_RESPONDENT], S.MEDIATION_FAILED, {A.RESPONDENT, A.BODY}),
    T.RESPONDENT_TIMEOUT: ([S.AWAITING_RESPONDENT], S.MEDIATION_FAILED, {A.SYSTEM}),
    T.ASSIGN_MEDIATOR: ([S.RESPONDENT_AGREED], S.MEDIATOR_ASSIGNED, {A.BODY, A.SYSTEM}),
    T.REASSIGN_MEDIATOR: ([S.MEDIATOR_ASSIGNED, S.IN_MEDIATION], S.MEDIATOR_ASSIGNED, {A.BODY}),
    T.START_MEDIATION: ([S.MEDIATOR_ASSIGNED], S.IN_MEDIATION, {A.MEDIATOR}),
    T.DRAFT_AGREEMENT: ([S.IN_MEDIATION], S.AGREEMENT_DRAFTED, {A.MEDIATOR}),
    T.REVISE_AGREEMENT: ([S.AGREEMENT_DRAFTED, S.SIGNING], S.IN_MEDIATION, {A.MEDIATOR}),
    T.OPEN_SIGNING: ([S.AGREEMENT_DRAFTED], S.SIGNING, {A.MEDIATOR}),
    T.ALL_SIGNED: ([S.SIGNING], S.AGREEMENT_IN_EFFECT, {A.SYSTEM}),
    T.FAIL_MEDIATION: (
        [S.MEDIATOR_ASSIGNED, S.IN_MEDIATION, S.AGREEMENT_DRAFTED, S.SIGNING],
        S.MEDIATION_FAILED,
        {A.MEDIATOR, A.BODY},
    ),
    T.MEDIATION_TIMEOUT: ([S.IN_MEDIATION, S.AGREEMENT_DRAFTED], S.MEDIATION_FAILED, {A.SYSTEM}),
    T.REQUEST_CONFIRMATION: (
        [S.AGREEMENT_IN_EFFECT],
        S.CONFIRMATION_REQUESTED,
        {A.APPLICANT, A.RESPONDENT},
    ),
    T.COURT_CONFIRM: ([S.CONFIRMATION_REQUESTED], S.CONFIRMED, {A.COURT}),
    T.COURT_REFUSE_CONFIRMATION: ([S.CONFIRMATION_REQUESTED], S.CONFIRMATION_REFUSED, {A.COURT}),
    T.REQUEST_FILING: ([S.MEDIATION_FAILED], S.FILING_REQUESTED, {A.APPLICANT}),
    T.COURT_RECEIVE: ([S.FILING_REQUESTED], S.FILING_RECEIVED, {A.COURT, A.SYSTEM}),
    T.DOCKET: ([S.FILING_RECEIVED], S.DOCKETED, {A.COURT}),
    T.REJECT_FILING: ([S.FILING_REQUESTED, S.FILING_RECEIVED], S.FILING_REJECTED, {A.COURT}),
    T.WITHDRAW: (
        [
            S.DRAFT,
            S.SUBMITTED,
            S.ACCEPTED,
            S.DECLINED,
            S.AWAITING_RESPONDENT,
            S.RESPONDENT_AGREED,
            S.MEDIATOR_ASSIGNED,
            S.IN_MEDIATION,
            S.AGREEMENT_DRAFTED,
            S.SIGNING,
        ],
        S.WITHDRAWN,
        {A.APPLICANT},
    ),
    T.CLOSE: (
        [
            S.AGREEMENT_IN_EFFECT,
            S.CONFIRMED,
            S.CONFIRMATION_REFUSED,
            S.MEDIATION_FAILED,
            S.DOCKETED,
            S.FILING_REJECTED,
            S.WITHDRAWN,
            S.TRANSFERRED,
            S.DECLINED,
        ],
        S.CLOSED,
        {A.BODY, A.DISPATCHER, A.SYSTEM, A.ADMIN},
    ),
}

LEGAL: dict[tuple[Status, Trigger], tuple[Status, frozenset[Actor]]] = {
    (source, trigger): (target, frozenset(actors))
    for trigger, (sources, target, actors) in SPEC.items()
    for source in sources
}
ILLEGAL: list[tuple[Status, Trigger]] = [
    (status, trigger) for status in Status for trigger in Trigger if (status, trigger) not in LEGAL
]
AFTER_AGREEMENT = [
    S.AGREEMENT_IN_EFFECT,
    S.CONFIRMATION_REQUESTED,
    S.CONFIRMED,
    S.CONFIRMATION_REFUSED,
    S.CLOSED,
]


def _pair_id(pair: object) -> str:
    if isinstance(pair, tuple):
        return "-".join(str(part) for part in pair)
    return str(pair)


def _reachable(start: Status, step: Callable[[Status], set[Status]]) -> set[Status]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in step(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _successors(status: Status) -> set[Status]:
    return {next_status(status, trigger) for trigger in allowed_triggers(status)}


# --- the table ---------------------------------------------------------------------------


def test_spec_covers_every_trigger() -> None:
    assert set(SPEC) == set(Trigger)


def test_table_matches_spec_exactly() -> None:
    table = {(tr.source, tr.trigger): (tr.target, tr.actors) for tr in TRANSITIONS}
    assert len(table) == len(TRANSITIONS), "duplicate (source, trigger) pairs in TRANSITIONS"
    assert table == LEGAL


@pytest.mark.parametrize(("pair", "expected"), list(LEGAL.items()), ids=_pair_id)
def test_every_legal_transition_works(
    pair: tuple[Status, Trigger], expected: tuple[Status, frozenset[Actor]]
) -> None:
    status, trigger = pair
    target, actors = expected
    assert next_status(status, trigger) is target
    assert actors_for(status, trigger) == actors
    assert trigger in allowed_triggers(status)


def test_illegal_pairs_are_the_complement() -> None:
    assert len(ILLEGAL) == len(Status) * len(Trigger) - len(LEGAL)
    assert len(ILLEGAL) > 400


@pytest.mark.parametrize("pair", ILLEGAL, ids=_pair_id)
def test_every_illegal_pair_raises(pair: tuple[Status, Trigger]) -> None:
    status, trigger = pair
    with pytest.raises(IllegalTransition) as excinfo:
        next_status(status, trigger)
    assert excinfo.value.status is status
    assert excinfo.value.trigger is trigger
    with pytest.raises(IllegalTransition):
        actors_for(status, trigger)
    assert trigger not in allowed_triggers(status)
    assert not any(can_fire(status, trigger, actor) for actor in Actor)


def test_illegal_transition_message_and_pickling() -> None:
    with pytest.raises(IllegalTransition, match=r"^cannot 'accept' a case that is 'draft'$"):
        next_status(S.DRAFT, T.ACCEPT)
    err = IllegalTransition(S.CLOSED, T.WITHDRAW)
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - round-trips our own object
    assert (copy.status, copy.trigger, str(copy)) == (S.CLOSED, T.WITHDRAW, str(err))


def test_transition_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        TRANSITIONS[0].target = S.CLOSED  # type: ignore[misc]


def test_allowed_triggers_follow_table_order() -> None:
    assert allowed_triggers(S.SUBMITTED) == [T.ACCEPT, T.DECLINE, T.TRANSFER, T.REFER,
                                             T.DISPATCH, T.RETURN, T.ESCALATE, T.MERGE,
                                             T.WITHDRAW]
    assert allowed_triggers(S.MEDIATION_FAILED) == [T.TRANSFER, T.ESCALATE, T.REQUEST_FILING,
                                                    T.CLOSE]
    assert allowed_triggers(S.CLOSED) == []
    for status in Status:
        assert allowed_triggers(status) == [tr.trigger for tr in TRANSITIONS if tr.source is status]


# --- whole-machine properties ------------------------------------------------------------


def test_happy_path_to_confirmation() -> None:
    path = [
        (T.SUBMIT, S.SUBMITTED),
        (T.ACCEPT, S.ACCEPTED),
        (T.CONTACT_RESPONDENT, S.AWAITING_RESPONDENT),
        (T.RESPONDENT_AGREE, S.RESPONDENT_AGREED),
        (T.ASSIGN_MEDIATOR, S.MEDIATOR_ASSIGNED),
        (T.START_MEDIATION, S.IN_MEDIATION),
        (T.DRAFT_AGREEMENT, S.AGREEMENT_DRAFTED),
        (T.OPEN_SIGNING, S.SIGNING),
        (T.ALL_SIGNED, S.AGREEMENT_IN_EFFECT),
        (T.REQUEST_CONFIRMATION, S.CONFIRMATION_REQUESTED),
        (T.COURT_CONFIRM, S.CONFIRMED),
        (T.CLOSE, S.CLOSED),
    ]
    status = S.DRAFT
    for trigger, expected in path:
        status = next_status(status, trigger)
        assert status is expected


def test_failed_mediation_path_to_docket() -> None:
    status = S.AWAITING_RESPONDENT
    for trigger in (T.RESPONDENT_TIMEOUT, T.REQUEST_FILING, T.COURT_RECEIVE, T.DOCKET, T.CLOSE):
        status = next_status(status, trigger)
    assert status is S.CLOSED


def test_terminal_is_closed_only_and_has_no_exits() -> None:
    assert frozenset({S.CLOSED}) == TERMINAL
    assert all(allowed_triggers(status) == [] for status in TERMINAL)
    assert [s for s in Status if not allowed_triggers(s)] == [S.CLOSED]


def test_every_status_reachable_from_draft() -> None:
    assert _reachable(S.DRAFT, _successors) == set(Status)


@pytest.mark.parametrize("status", list(Status))
def test_every_status_can_reach_closed(status: Status) -> None:
    assert S.CLOSED in _reachable(status, _successors)


@pytest.mark.parametrize("status", AFTER_AGREEMENT)
def test_withdraw_impossible_once_agreement_in_effect(status: Status) -> None:
    assert T.WITHDRAW not in allowed_triggers(status)
    with pytest.raises(IllegalTransition):
        next_status(status, T.WITHDRAW)


def test_withdraw_impossible_anywhere_after_agreement_in_effect() -> None:
    after = _reachable(S.AGREEMENT_IN_EFFECT, _successors)
    assert set(AFTER_AGREEMENT) <= after
    assert not any(T.WITHDRAW in allowed_triggers(status) for status in after)


@given(st.lists(st.sampled_from(Trigger), max_size=80))
def test_random_trigger_sequences_stay_inside_the_machine(triggers: list[Trigger]) -> None:
    status = S.DRAFT
    for trigger in triggers:
        before = status
        try:
            status = next_status(status, trigger)
        except IllegalTransition as err:
            assert (err.status, err.trigger) == (before, trigger)
            assert trigger not in allowed_triggers(before)
        else:
            assert trigger in allowed_triggers(before)
        assert isinstance(status, Status)
        assert status in set(Status)
        if before is S.CLOSED:
            assert status is S.CLOSED


@given(st.data())
def test_random_legal_walks_follow_spec_and_only_stop_at_closed(data: st.DataObject) -> None:
    status = S.DRAFT
    for _ in range(60):
        options = allowed_triggers(status)
        if not options:
            assert status is S.CLOSED
            break
        trigger = data.draw(st.sampled_from(options))
        before, status = status, next_status(status, trigger)
        assert status is LEGAL[(before, trigger)][0]


# --- actors --------------------------------------------------------------------------------


def test_respondent_cannot_accept_but_body_can() -> None:
    assert not can_fire(S.SUBMITTED, T.ACCEPT, A.RESPONDENT)
    assert can_fire(S.SUBMITTED, T.ACCEPT, A.BODY)


def test_court_can_docket_only_a_received_filing() -> None:
    assert can_fire(S.FILING_RECEIVED, T.DOCKET, A.COURT)
    assert not can_fire(S.FILING_REQUESTED, T.DOCKET, A.COURT)
    assert not can_fire(S.FILING_RECEIVED, T.DOCKET, A.APPLICANT)


def test_only_the_system_times_out() -> None:
    assert actors_for(S.AWAITING_RESPONDENT, T.RESPONDENT_TIMEOUT) == {A.SYSTEM}
    assert actors_for(S.IN_MEDIATION, T.MEDIATION_TIMEOUT) == {A.SYSTEM}
    assert not can_fire(S.AWAITING_RESPONDENT, T.RESPONDENT_TIMEOUT, A.BODY)


def test_only_the_applicant_withdraws() -> None:
    assert actors_for(S.IN_MEDIATION, T.WITHDRAW) == {A.APPLICANT}
    assert not can_fire(S.IN_MEDIATION, T.WITHDRAW, A.RESPONDENT)


def test_actors_for_illegal_pair_raises() -> None:
    with pytest.raises(IllegalTransition, match="cannot 'docket' a case that is 'draft'"):
        actors_for(S.DRAFT, T.DOCKET)


@pytest.mark.parametrize(("pair", "expected"), list(LEGAL.items()), ids=_pair_id)
def test_can_fire_matches_spec_for_every_actor(
    pair: tuple[Status, Trigger], expected: tuple[Status, frozenset[Actor]]
) -> None:
    status, trigger = pair
    fired_by = {actor for actor in Actor if can_fire(status, trigger, actor)}
    assert fired_by == expected[1]


# --- labels --------------------------------------------------------------------------------


@pytest.mark.parametrize("labels", [LABELS, TRIGGER_LABELS], ids=["status", "trigger"])
def test_labels_are_present_unique_and_plain(
    labels: dict[Status, str] | dict[Trigger, str],
) -> None:
    values = list(labels.values())
    assert all(v and v == v.strip() and v[0].isupper() for v in values)
    assert len(set(values)) == len(values)


def test_labels_cover_every_status_and_trigger() -> None:
    assert set(LABELS) == set(Status)
    assert set(TRIGGER_LABELS) == set(Trigger)
    assert LABELS[S.AWAITING_RESPONDENT] == "Awaiting respondent"
    assert TRIGGER_LABELS[T.ACCEPT] == "Accept case"


# --- import-time guards --------------------------------------------------------------------


def _without(trigger: Trigger, source: Status) -> tuple[Transition, ...]:
    return tuple(tr for tr in TRANSITIONS if (tr.trigger, tr.source) != (trigger, source))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ((*TRANSITIONS, TRANSITIONS[0]), "duplicate transition: 'submit' from 'draft'"),
        (
            (*TRANSITIONS, Transition(T.SUBMIT, S.CLOSED, S.SUBMITTED, frozenset({A.ADMIN}))),
            "terminal status 'closed'",
        ),
        (_without(T.DOCKET, S.FILING_RECEIVED), "unreachable from draft: .*docketed"),
        (_without(T.CLOSE, S.DOCKETED), "no path to closed from: .*docketed"),
    ],
    ids=["duplicate", "terminal-exit", "unreachable", "dead-end"],
)
def test_broken_tables_are_rejected(
    monkeypatch: pytest.MonkeyPatch, table: tuple[Transition, ...], message: str
) -> None:
    monkeypatch.setattr(states, "TRANSITIONS", table)
    with pytest.raises(RuntimeError, match=message):
        states._build_index()
