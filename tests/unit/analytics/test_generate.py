"""The bulk generator: realistic, self-consistent history that the dashboard counts right."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import demo
from portal.accounts.validation import normalise_id_number
from portal.analytics import aggregates, dashboard, generate
from portal.analytics.generate_text import IdNumbers
from portal.cases import services as cases
from portal.cases.models import Case, CaseEvent, CaseParticipant
from portal.cases.states import Status
from portal.db.types import utcnow
from portal.dispatch import figures
from portal.dispatch.models import OrderStep, Outcome, SatisfactionRating, Step, WorkOrder

N = 400


@dataclass(frozen=True)
class Made:
    result: generate.Generated
    before: dict[type, int]  # rows of the demo data


@pytest.fixture
def made(db: Session) -> Made:
    demo.load(db)  # as the generator would: here, to count what was there before
    db.commit()
    before = {model: _count(db, model) for model in (Case, WorkOrder)}
    result = generate.generate(db, cases=N, seed=7, batch_size=150)
    db.commit()
    return Made(result, before)


def _count(db: Session, model: type) -> int:
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def test_the_demo_data_and_the_disputes_are_there(db: Session, made: Made) -> None:
    rows = made.result.rows
    assert made.result.cases == N and rows["work_orders"] == N
    assert _count(db, Case) == made.before[Case] + N
    assert _count(db, WorkOrder) == made.before[WorkOrder] + N
    assert rows["work_order_steps"] > 3 * N and rows["case_events"] > 3 * N
    assert rows["case_participants"] >= 2 * N and rows["work_order_ratings"] > 0
    numbers = db.execute(select(Case.number)).scalars().all()
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"FQ-\d{4}-\d{6}", n) for n in numbers)
    # A case made the usual way afterwards takes the next number, not a generated one.
    year = utcnow().year
    assert cases.next_case_number(db, year) not in numbers


def test_every_order_is_consistent(db: Session, made: Made) -> None:
    now, oldest = utcnow(), utcnow() - dt.timedelta(days=2 * 365 + 1)
    orders = db.execute(select(WorkOrder).where(WorkOrder.id > db.execute(
        select(func.max(WorkOrder.id))).scalar_one() - N)).scalars().all()
    kinds = set()
    for order in orders:
        steps, case = order.steps, order.case
        kinds.add((order.source, order.level, case.dispute_type))
        assert oldest < order.created_at <= now
        assert steps and steps[0].started_at == order.created_at
        for before, after in itertools.pairwise(steps):
            assert before.ended_at == after.started_at
            assert before.went_overdue == (before.ended_at > before.due_at)
        if order.step is Step.CLOSED:
            assert order.closed_at == steps[-1].ended_at and order.outcome is not None
            assert case.status is Status.CLOSED and order.due_at is None
        else:
            assert [s.ended_at for s in steps][-1] is None and steps[-1].step is order.step
            assert order.due_at == steps[-1].due_at and case.status is not Status.CLOSED
        events = [e.created_at for e in case.events]
        assert events == sorted(events) and all(e <= now for e in events)
        for rating in order.ratings:
            assert order.outcome in (Outcome.AGREEMENT, Outcome.CONFIRMED)
            assert rating.created_at < order.closed_at  # type: ignore[operator]
    assert len(kinds) > 20  # sources, levels and types mixed
    dispatched = db.execute(select(func.count()).select_from(OrderStep).join(
        CaseEvent, CaseEvent.id == OrderStep.case_event_id).where(
        OrderStep.step == Step.DISPATCH)).scalar_one()
    assert dispatched > N / 2


def test_parties_have_valid_id_numbers(db: Session, made: Made) -> None:
    numbers = db.execute(select(CaseParticipant.id_number).where(
        CaseParticipant.id_number.is_not(None))).scalars().all()
    assert len(numbers) > N / 3
    for number in numbers:
        assert normalise_id_number(number) == number
    assert db.execute(select(func.min(SatisfactionRating.score))).scalar_one() >= 1


def test_the_dashboard_counts_it_as_the_figures_do(db: Session,
                                                  made: Made) -> None:
    aggregates.refresh(db)
    today = utcnow().date()
    for start, end in ((today - dt.timedelta(days=730), today),
                       (today - dt.timedelta(days=200), today - dt.timedelta(days=100))):
        mine = dashboard.breakdown(db, dashboard.Filters(start, end)).total
        raw = figures.figures(db, start=start, end=end).total
        assert (mine.received, mine.closed, mine.resolved, mine.overdue) == (
            raw.received, raw.closed, raw.resolved, raw.overdue)
        assert mine.avg_days_per_step == pytest.approx(raw.avg_days_per_step)


def test_generating_again_adds_more(db: Session, made: Made) -> None:
    before = _count(db, Case)
    again = generate.generate(db, cases=50, seed=8)
    db.commit()
    assert again.cases == 50 and _count(db, Case) == before + 50


def test_id_numbers_are_valid_and_distinct() -> None:
    make = IdNumbers(random.Random(1))
    numbers = [make() for _ in range(20_000)]
    assert len(set(numbers)) == len(numbers)
    for number in numbers[:500]:
        assert normalise_id_number(number) == number


def test_the_demo_data_is_loaded_first_when_missing(db: Session) -> None:
    assert not demo.is_loaded(db)
    generate.generate(db, cases=20, seed=9)
    db.commit()
    assert demo.is_loaded(db) and _count(db, WorkOrder) > 20


def test_the_command(db: Session) -> None:
    from click.testing import CliRunner

    from portal.analytics import scan
    from portal.analytics.models import AlertScanState
    from portal.cli import main

    scan.scan(db)  # the scan is up to date before the load
    db.commit()
    assert db.execute(select(AlertScanState).where(
        AlertScanState.name == "alerts")).scalar_one().last_at is not None
    result = CliRunner().invoke(main, ["demo", "generate", "--cases", "30", "--seed", "3"])
    assert result.exit_code == 0, result.output
    # Backdated rows: the next scan reads the whole history again.
    db.expire_all()
    assert db.execute(select(AlertScanState).where(
        AlertScanState.name == "alerts")).scalar_one().last_at is None
    assert "30 disputes generated" in result.output and "dashboard figures recounted" in (
        result.output)
    assert aggregates.updated_at(db) is not None
    refused = CliRunner().invoke(main, ["demo", "generate", "--cases", "0"])
    assert refused.exit_code == 2 and "--cases" in refused.output
