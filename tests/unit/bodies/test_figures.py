"""Figures over a hand-built set of cases whose events have known times."""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.figures import Figures, body_figures, mediator_figures, open_cases
from portal.cases.models import Case, CaseEvent
from portal.cases.states import Status, Trigger
from tests.factories import BodyFactory, UserFactory

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
S = Status
_numbers = count(1)


def _case(db: Session, applicant: User, body_id: int, status: Status,
          path: list[tuple[Status, float]], *, mediator: User | None = None,
          submitted: bool = True) -> Case:
    """A case whose events move it along ``path``: (status reached, days after T0)."""
    case = Case(number=f"FQ-2026-9{next(_numbers):05d}", title="t", applicant_id=applicant.id,
                body_id=body_id, status=status, submitted_at=T0 if submitted else None,
                mediator_id=mediator.id if mediator else None)
    db.add(case)
    db.flush()
    before = S.DRAFT
    for target, days in path:
        db.add(CaseEvent(case_id=case.id, trigger=Trigger.SUBMIT, from_status=before,
                         to_status=target, actor_role="system",
                         created_at=T0 + dt.timedelta(days=days)))
        db.flush()
        before = target
    return case


@pytest.fixture
def world(db: Session) -> dict[str, int]:
    a, b, empty = BodyFactory(), BodyFactory(), BodyFactory()
    m1 = UserFactory(role=Role.MEDIATOR, body_id=a.id)
    m2 = UserFactory(role=Role.MEDIATOR, body_id=a.id)
    idle = UserFactory(role=Role.MEDIATOR, body_id=a.id)
    p = UserFactory()
    agreed = (S.AGREEMENT_IN_EFFECT, 0.0)
    # Body a: 9 cases past the draft, 6 finished, 3 resolved.
    _case(db, p, a.id, S.DRAFT, [])
    _case(db, p, a.id, S.SUBMITTED, [(S.SUBMITTED, 0)])
    _case(db, p, a.id, S.IN_MEDIATION, [(S.SUBMITTED, 0), (S.IN_MEDIATION, 2)], mediator=m1)
    _case(db, p, a.id, S.AGREEMENT_IN_EFFECT, [(S.SUBMITTED, 0), (agreed[0], 10)], mediator=m1)
    _case(db, p, a.id, S.CLOSED, [(S.SUBMITTED, 0), (agreed[0], 4), (S.CLOSED, 20)],
          mediator=m1)
    _case(db, p, a.id, S.CONFIRMED, [(S.SUBMITTED, 0), (agreed[0], 6),
                                     (S.CONFIRMATION_REQUESTED, 7), (S.CONFIRMED, 30)],
          mediator=m2)
    _case(db, p, a.id, S.DOCKETED, [(S.SUBMITTED, 0), (S.MEDIATION_FAILED, 9),
                                    (S.FILING_REQUESTED, 10), (S.DOCKETED, 15)], mediator=m2)
    _case(db, p, a.id, S.WITHDRAWN, [(S.SUBMITTED, 0), (S.WITHDRAWN, 1.5)])
    # Declined, then submitted again: open again, not finished.
    _case(db, p, a.id, S.SUBMITTED, [(S.SUBMITTED, 0), (S.DECLINED, 1), (S.SUBMITTED, 3)])
    _case(db, p, a.id, S.CLOSED, [(S.SUBMITTED, 0), (S.DECLINED, 3), (S.CLOSED, 5)])
    # Body b: one resolved case without a submission time (left out of the average).
    _case(db, p, b.id, S.AGREEMENT_IN_EFFECT, [(S.AGREEMENT_IN_EFFECT, 2)], submitted=False)
    db.commit()
    return {"a": a.id, "b": b.id, "empty": empty.id, "m1": m1.id, "m2": m2.id,
            "idle": idle.id}


def test_body_figures_exact(db: Session, world: dict[str, int]) -> None:
    found = body_figures(db, body_ids=[world["a"], world["b"], world["empty"]])
    a = found[world["a"]]
    assert (a.handled, a.finished, a.resolved, a.open) == (9, 6, 3, 3)
    assert a.resolution_rate == pytest.approx(0.5)
    # (10 + 4 + 6 + 9 + 1.5 + 3) / 6
    assert a.average_days == pytest.approx(33.5 / 6, abs=1e-6)
    b = found[world["b"]]
    assert (b.handled, b.finished, b.resolved, b.average_days) == (1, 1, 1, None)
    assert b.resolution_rate == 1.0
    assert found[world["empty"]] == Figures()
    assert found[world["empty"]].resolution_rate is None


def test_mediator_figures_exact(db: Session, world: dict[str, int]) -> None:
    found = mediator_figures(db, mediator_ids=[world["m1"], world["m2"], world["idle"]])
    m1, m2 = found[world["m1"]], found[world["m2"]]
    assert (m1.handled, m1.finished, m1.resolved, m1.open) == (3, 2, 2, 1)
    assert m1.average_days == pytest.approx(7.0, abs=1e-6)
    assert (m2.handled, m2.finished, m2.resolved) == (2, 2, 1)
    assert m2.resolution_rate == pytest.approx(0.5)
    assert m2.average_days == pytest.approx(7.5, abs=1e-6)
    assert found[world["idle"]] == Figures()


def test_open_cases_per_body(db: Session, world: dict[str, int]) -> None:
    assert open_cases(db, body_ids=[world["a"], world["b"], world["empty"]]) == {
        world["a"]: 3, world["b"]: 0, world["empty"]: 0}


def test_no_ids_no_queries(db: Session) -> None:
    assert body_figures(db, body_ids=[]) == {}
    assert mediator_figures(db, mediator_ids=[]) == {}
    assert open_cases(db, body_ids=[]) == {}
