"""The board: who sees which open orders, overdue first, then by time left."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.dispatch import board, duplicates, services
from portal.dispatch.models import Step, WorkOrder
from tests.factories import UserFactory, make_report
from tests.unit.dispatch.conftest import MONDAY

W = dict[str, Any]
DAY = dt.timedelta(days=1)


def _report(db: Session, world: W, when: dt.datetime, **overrides: Any) -> WorkOrder:
    with time_machine.travel(when, tick=False):
        return make_report(db, world["grid"], world["village"], **overrides)


def _numbers(page: board.Page[board.BoardRow]) -> list[str]:
    return [row.number for row in page.items]


def test_overdue_first_then_by_time_left(db: Session, world: W) -> None:
    fresh = _report(db, world, MONDAY, address="甲")
    old = _report(db, world, MONDAY - 7 * DAY, address="乙")
    sent = _report(db, world, MONDAY - DAY, address="丙")
    with time_machine.travel(MONDAY - DAY, tick=False):
        services.dispatch(db, order=sent, body_id=world["village_body"].id,
                          actor=world["town_dispatcher"])
        db.commit()
    undated = _report(db, world, MONDAY, address="丁")
    undated.due_at = None
    db.commit()
    now = MONDAY + dt.timedelta(hours=2)
    page = board.board(db, world["town_dispatcher"], now=now)
    assert _numbers(page) == [o.case.number for o in (old, fresh, sent, undated)]
    first = page.items[0]
    assert first.seconds_left is not None and first.seconds_left < 0
    assert first.seconds_left == int((old.due_at - now).total_seconds())  # type: ignore[operator]
    assert (first.step, first.owner, first.title) == (Step.DISPATCH, "枫桥镇", "宅基地边界纠纷")
    assert page.items[2].owner == "枫源村调解室" and page.items[3].seconds_left is None
    assert _numbers(board.board(db, world["town_dispatcher"], overdue_only=True,
                                now=now)) == [old.case.number]
    assert _numbers(board.board(db, world["town_dispatcher"], step=Step.ACCEPT,
                                now=now)) == [sent.case.number]
    paged = board.board(db, world["town_dispatcher"], page=2, per_page=3, now=now)
    assert (_numbers(paged), paged.total, paged.pages, paged.has_prev, paged.has_next) == (
        [undated.case.number], 4, 2, True, False)
    assert board.counts_by_step(db, world["town_dispatcher"]) == {
        Step.DISPATCH: 3, Step.ACCEPT: 1, Step.HANDLE: 0, Step.FOLLOW_UP: 0, Step.REVIEW: 0}


def test_who_sees_what(db: Session, world: W) -> None:
    mine = _report(db, world, MONDAY)
    sent = _report(db, world, MONDAY, address="别处")
    services.dispatch(db, order=sent, body_id=world["village_body"].id,
                      actor=world["town_dispatcher"])
    db.commit()
    other_grid = UserFactory(role=Role.GRID_WORKER, area_id=world["village"].id)
    seen = {key: set(_numbers(board.board(db, user)))
            for key, user in [("town", world["town_dispatcher"]),
                              ("city", world["city_dispatcher"]),
                              ("other", world["other_dispatcher"]),
                              ("village_body", world["village_admin"]),
                              ("town_body", world["town_admin"]),
                              ("grid", world["grid"]), ("other_grid", other_grid),
                              ("admin", world["admin"]), ("party", UserFactory())]}
    both = {mine.case.number, sent.case.number}
    assert seen == {"town": both, "city": both, "other": set(),
                    "village_body": {sent.case.number}, "town_body": set(), "grid": both,
                    "other_grid": set(), "admin": both, "party": set()}
    # "Mine": the orders whose current step the user's centre or body owns.
    assert _numbers(board.board(db, world["town_dispatcher"], owner="me")) == [
        mine.case.number]
    assert _numbers(board.board(db, world["city_dispatcher"], owner="me")) == []
    assert _numbers(board.board(db, world["village_admin"], owner="me")) == [
        sent.case.number]


def test_closed_orders_leave_the_board_and_duplicates_are_marked(db: Session,
                                                                 world: W) -> None:
    first = _report(db, world, MONDAY)
    second = _report(db, world, MONDAY + DAY)
    rows = {r.number: r for r in board.board(db, world["town_dispatcher"]).items}
    assert (rows[first.case.number].duplicate, rows[second.case.number].duplicate) == (
        False, True)
    duplicates.merge(db, order=second, into=first, actor=world["town_dispatcher"],
                     reason="重复")
    db.commit()
    assert _numbers(board.board(db, world["admin"])) == [first.case.number]
