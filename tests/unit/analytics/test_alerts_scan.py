"""The scan task: on beat's schedule, incremental, in batches, idempotent."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import cli
from portal.analytics import scan, tasks
from portal.analytics.models import AlertScanState, PartyKey, RuleKey
from portal.db.types import utcnow
from portal.worker import BEAT_SCHEDULE, TASK_MODULES, celery_app
from tests.unit.analytics.alert_support import DAY, T0, alerts, report, run_scan, world

__all__ = ["world"]
W = dict[str, Any]


def test_the_task_is_on_beats_schedule_and_registered() -> None:
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "analytics.scan_alerts")
    assert float(entry["schedule"]) <= 600  # type: ignore[arg-type]
    for module in TASK_MODULES:  # what the worker and the embedded scheduler import
        importlib.import_module(module)
    assert "analytics.scan_alerts" in celery_app.tasks


def test_the_task_scans_what_came_in(db: Session, world: W) -> None:
    report(db, world, utcnow() - dt.timedelta(hours=1), dispute_type="land")
    assert tasks.scan_alerts() == 1
    assert [a.rule for a in alerts(db)] == [RuleKey.SENSITIVE_TYPE]
    assert tasks.scan_alerts() == 0  # nothing new: nothing read, nothing raised twice
    assert len(alerts(db)) == 1


def test_a_scan_reads_only_changes_since_the_last(db: Session, world: W) -> None:
    report(db, world, T0)
    hour = dt.timedelta(hours=1)
    assert run_scan(db, T0).cases == 1  # the first scan reads the history, case by case
    # The change feed starts a lag before that scan: the report is read once more.
    assert run_scan(db, T0 + hour).cases == 1
    assert run_scan(db, T0 + hour).cases == 0
    report(db, world, T0 + 2 * hour)
    assert run_scan(db, T0 + 2 * hour).cases == 1
    state = db.execute(select(AlertScanState).where(AlertScanState.name == "alerts")
                       ).scalar_one()
    assert state.last_at == T0 + dt.timedelta(hours=2)


def test_changes_younger_than_the_lag_wait(db: Session, world: W) -> None:
    assert scan.scan(db, now=T0 - DAY).cases == 0  # the first scan: nothing yet
    report(db, world, T0)
    assert scan.scan(db, now=T0 + scan.LAG / 2).cases == 0
    assert scan.scan(db, now=T0 + scan.LAG).cases == 1


def test_a_long_history_is_read_in_batches(db: Session, world: W) -> None:
    for i in range(5):
        report(db, world, T0 + i * dt.timedelta(minutes=5))
    now = T0 + DAY / 4
    done = [scan.scan(db, now=now, limit=2) for _ in range(3)]
    assert [(r.cases, r.more) for r in done] == [(2, True), (2, True), (1, False)]
    assert len({k.case_id for k in db.execute(select(PartyKey)).scalars()}) == 5
    for i in range(5, 10):
        report(db, world, now + i * dt.timedelta(minutes=5))
    later = now + DAY / 4
    done = [scan.scan(db, now=later, limit=2) for _ in range(3)]
    assert [(r.cases, r.more) for r in done] == [(2, True), (2, True), (1, False)]
    assert len({k.case_id for k in db.execute(select(PartyKey)).scalars()}) == 10


def test_the_command_catches_up(db: Session, world: W) -> None:
    report(db, world, utcnow() - dt.timedelta(hours=1), dispute_type="land")
    result = CliRunner().invoke(cli.main, ["alerts", "scan"])
    assert result.exit_code == 0, result.output
    assert "1 cases checked, 1 alerts opened" in result.output
    assert [a.rule for a in alerts(db)] == [RuleKey.SENSITIVE_TYPE]


def test_a_restart_reads_backdated_history(db: Session, world: W) -> None:
    assert tasks.scan_alerts() == 0  # the first scan, of an empty history
    # A bulk load of disputes stamped in the past, behind the change feed.
    report(db, world, utcnow() - dt.timedelta(hours=1), dispute_type="land")
    assert tasks.scan_alerts() == 0
    result = CliRunner().invoke(cli.main, ["alerts", "scan", "--restart"])
    assert result.exit_code == 0, result.output
    assert "1 cases checked, 1 alerts opened" in result.output
