"""portal.db.memo: read-only answers kept for one transaction, forgotten on any write."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.bodies.models import Area, Level
from portal.bodies.services import area_subtree_ids
from portal.cases import access
from portal.cases.states import Actor
from portal.db.memo import remembered
from portal.db.types import utcnow
from portal.deadlines import services as deadlines
from portal.deadlines.models import Deadline, DeadlineKind
from tests.factories import AreaFactory, CaseFactory, UserFactory, make_report


class Counter:
    def __init__(self, session: Session) -> None:
        self.session, self.calls = session, 0

    def __call__(self) -> int:
        self.calls += 1
        return int(self.session.execute(select(Area.id).limit(1)).scalar() or 0)


def test_an_answer_is_kept_for_the_transaction(db: Session) -> None:
    count = Counter(db)
    for _ in range(3):
        remembered(db, "k", count, (Area,))
    assert count.calls == 1
    remembered(db, "other", count, (Area,))
    assert count.calls == 2


def test_commit_rollback_and_flush_forget_it(db: Session) -> None:
    count = Counter(db)
    remembered(db, "k", count, (Area,))
    db.commit()
    remembered(db, "k", count, (Area,))
    db.rollback()
    remembered(db, "k", count, (Area,))
    assert count.calls == 3
    db.add(AreaFactory.build())
    db.flush()  # any write, not only of a watched model
    remembered(db, "k", count, (Area,))
    assert count.calls == 4


def test_a_bulk_statement_forgets_it(db: Session) -> None:
    area = AreaFactory()
    count = Counter(db)
    remembered(db, "k", count, (Area,))
    db.execute(update(Area).where(Area.id == area.id).values(name="改名"))
    remembered(db, "k", count, (Area,))
    assert count.calls == 2


def test_pending_objects_of_a_watched_model_bypass_it(db: Session) -> None:
    area = AreaFactory()
    count = Counter(db)
    remembered(db, "k", count, (Area,))
    area.name = "未写入"  # dirty, not flushed yet
    remembered(db, "k", count, (Area,))
    assert count.calls == 2


def test_area_subtrees_see_areas_added_in_the_same_transaction(db: Session) -> None:
    town = AreaFactory(level=Level.TOWN)
    assert area_subtree_ids(db, town.id) == [town.id]
    village = Area(code="33999999", name="新村", level=Level.VILLAGE, parent_id=town.id)
    db.add(village)  # pending: the next call must not answer from the memo
    assert set(area_subtree_ids(db, town.id)) == {town.id, village.id}
    village.parent_id = None
    assert area_subtree_ids(db, town.id) == [town.id]


def test_a_dispatchers_capacity_follows_a_moved_case(db: Session) -> None:
    town, other = AreaFactory(), AreaFactory()
    dispatcher = UserFactory(role=Role.DISPATCHER, area_id=town.id)
    case = CaseFactory(area_id=town.id)
    assert access.capacities(db, case, dispatcher) == {Actor.DISPATCHER}
    case.area_id = other.id
    assert access.capacities(db, case, dispatcher) == set()


def test_a_grid_workers_capacity_appears_with_the_report(db: Session) -> None:
    village = AreaFactory(level=Level.VILLAGE)
    grid = UserFactory(role=Role.GRID_WORKER, area_id=village.id)
    order = make_report(db, grid, village)
    assert access.capacities(db, order.case, grid) == {Actor.REPORTER}
    stranger = UserFactory(role=Role.GRID_WORKER, area_id=village.id)
    assert access.capacities(db, order.case, stranger) == set()
    order.reporter_id = stranger.id  # pending change of a watched model
    assert access.capacities(db, order.case, stranger) == {Actor.REPORTER}
    assert access.capacities(db, order.case, grid) == set()


def test_open_deadlines_follow_closing_and_new_ones(db: Session) -> None:
    case = CaseFactory()
    now = utcnow()
    first = Deadline(case_id=case.id, kind=DeadlineKind.ACCEPT, due_at=now)
    db.add(first)
    db.flush()
    assert deadlines.open_deadlines(db, case.id) == [first]
    assert deadlines.current(db, case.id, DeadlineKind.RESPONDENT) is None
    first.closed_at = now  # dirty: not answered from the memo
    assert deadlines.open_deadlines(db, case.id) == []
    second = Deadline(case_id=case.id, kind=DeadlineKind.RESPONDENT, due_at=now)
    db.add(second)
    assert deadlines.current(db, case.id, DeadlineKind.RESPONDENT) is second
    assert deadlines.open_deadlines(db, case.id, [DeadlineKind.ACCEPT]) == []
