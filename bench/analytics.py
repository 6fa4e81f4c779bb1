"""The analytics dashboard's queries on 1,000,000 generated cases in PostgreSQL.

analytics.dashboard_p95_ms: the slowest dashboard query's 95th percentile in milliseconds
(baseline 1, so the ratio is the value; target 200). Each query the dashboard runs for a
page (portal.analytics.dashboard) is timed REPEATS times in several views: the whole city
over twelve months (the default page), two years and thirty days; one town over twelve
months; one village with a type and a level over ninety days. The same-run baseline, a bare
``SELECT count(*) FROM cases``, and every query's median and p95 go to stderr.

The cases live in a database of their own (ODR_BENCH_ANALYTICS_URL, default
postgresql://root@127.0.0.1:5432/odr_bench), made once: the schema from the models, the demo
data, ``odr demo generate`` of CASES disputes (indexes built after the load) and the
dashboard's pre-aggregates. Later runs reuse it when it holds the cases and the columns the
bench reads (tables and indexes added to the models since are added to it); otherwise it is
made again. Times of each part go to stderr.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.exc import OperationalError

from bench.figures import Figure

URL = os.environ.get("ODR_BENCH_ANALYTICS_URL", "postgresql://root@127.0.0.1:5432/odr_bench")
CASES = int(os.environ.get("ODR_BENCH_ANALYTICS_CASES", "1000000"))
REPEATS = int(os.environ.get("ODR_BENCH_ANALYTICS_REPEATS", "15"))
NAME = "analytics.dashboard_p95_ms"


def _say(message: str) -> None:
    print(f"analytics: {message}", file=sys.stderr, flush=True)


def _driver_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _admin_engine(url: str) -> Engine:
    base, _, _ = url.rpartition("/")
    return create_engine(_driver_url(f"{base}/postgres"), isolation_level="AUTOCOMMIT")


def _usable(engine: Engine) -> bool:
    """The database holds the cases and the columns the bench reads and the generator
    writes; tables and indexes added to the models since it was made are added to it."""
    from portal.analytics.aggregates import STATE
    from portal.analytics.generate_history import COLUMNS
    from portal.models import Base

    found = inspect(engine)
    tables = set(found.get_table_names())
    read = {*COLUMNS, "areas", "mediation_bodies", "users", "analytics_daily",
            "analytics_daily_bodies", "analytics_daily_steps", "analytics_aggregate_state"}
    for name in read:
        table = Base.metadata.tables[name]
        if name not in tables or {c.name for c in table.columns} - {
                c["name"] for c in found.get_columns(name)}:
            return False
    with engine.connect() as conn:
        cases = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
        state = conn.execute(text("SELECT until FROM analytics_aggregate_state WHERE name = "
                                  ":name"), {"name": STATE}).scalar()
    if cases < CASES or state is None:
        return False
    Base.metadata.create_all(engine)  # new tables, with their indexes
    for table in Base.metadata.sorted_tables:
        have = {i["name"] for i in inspect(engine).get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in have:
                _say(f"adding the index {index.name}")
                index.create(engine)
    return True


def _make(url: str) -> Engine:
    """Create the bench database with CASES generated disputes and their pre-aggregates."""
    from portal.analytics import aggregates, generate
    from portal.db import sessionmaker_for
    from portal.db.session import make_engine
    from portal.models import Base

    name = url.rpartition("/")[2]
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    maker = sessionmaker_for(engine)
    started = time.monotonic()
    with maker.begin() as session:
        made = generate.generate(session, cases=CASES, rebuild_indexes=True,
                                 progress=lambda line: _say(f"  {line}"))
    _say(f"generated {made.cases:,} disputes in {time.monotonic() - started:.1f} s "
         f"({', '.join(f'{n:,} {t}' for t, n in made.rows.items())})")
    started = time.monotonic()
    with maker.begin() as session:
        done = aggregates.refresh(session, full=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    _say(f"daily figures of {done.days} days counted in {time.monotonic() - started:.1f} s")
    return engine


def _engine() -> Engine:
    from portal.db.session import make_engine

    engine = make_engine(URL)
    try:
        if _usable(engine):
            _say(f"reusing {URL.rpartition('@')[2]}")
            return engine
    except OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    engine.dispose()
    _say(f"making {URL.rpartition('@')[2]} with {CASES:,} disputes (once; reused later)")
    return _make(URL)


def _time(engine: Engine, query: Any) -> list[float]:
    """Milliseconds of each run of ``query``, as the dashboard runs it (rows fetched)."""
    with engine.connect() as conn:
        conn.execute(query).all()  # the first run warms the caches
        found = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            conn.execute(query).all()
            found.append((time.perf_counter() - started) * 1000)
    return found


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def _views(engine: Engine) -> dict[str, Any]:
    """Filters of the pages timed: the whole city, one town, one village."""
    from portal.analytics.measures import Filters, default_period
    from portal.bodies.models import Area, Level
    from portal.bodies.services import area_subtree_ids
    from portal.db import sessionmaker_for
    from portal.deadlines.calendar import TIME_ZONE

    today = dt.datetime.now(TIME_ZONE).date()
    year, _ = default_period(today)
    with sessionmaker_for(engine)() as session:
        town = session.execute(select(Area.id).where(Area.level == Level.TOWN)
                               .order_by(Area.code)).scalars().first()
        village = session.execute(select(Area.id).where(Area.level == Level.VILLAGE)
                                  .order_by(Area.code)).scalars().first()
        assert town is not None and village is not None
        town_ids = tuple(area_subtree_ids(session, town))
    return {
        "city, 12 months": Filters(year, today),
        "city, 2 years": Filters(today - dt.timedelta(days=729), today),
        "city, 30 days": Filters(today - dt.timedelta(days=29), today),
        "town, 12 months": Filters(year, today, area_ids=town_ids),
        "village, labour at town level, 90 days": Filters(
            today - dt.timedelta(days=89), today, area_ids=(village,), dispute_type="labour",
            level=Level.TOWN),
    }


def _queries() -> dict[str, Callable[[Any], Any]]:
    from portal.analytics import dashboard

    return {
        "received over time": dashboard.series_query,
        "by area, level, source": dashboard.breakdown_query,
        "days per step": dashboard.steps_query,
        "open and overdue": dashboard.open_overdue_query,
        "bodies": lambda f: dashboard.people_query(f, "body_id"),
        "mediators": lambda f: dashboard.people_query(f, "mediator_id"),
    }


def run() -> list[Figure]:
    try:
        engine = _engine()
    except OperationalError as exc:
        print(f"analytics: PostgreSQL at {URL.rpartition('@')[2]} is not reachable, no "
              f"figure: {str(exc).splitlines()[0]}", file=sys.stderr)
        return [Figure(NAME, float("nan"), 1.0, 200.0, higher_is_better=False)]
    baseline = _time(engine, select(func.count()).select_from(text("cases")))
    _say(f"baseline, a bare count of the cases: median {statistics.median(baseline):.1f} "
         f"ms, p95 {_p95(baseline):.1f} ms")
    worst = 0.0
    for view, filters in _views(engine).items():
        for name, build in _queries().items():
            times = _time(engine, build(filters))
            worst = max(worst, _p95(times))
            _say(f"{view} · {name}: median {statistics.median(times):.1f} ms, "
                 f"p95 {_p95(times):.1f} ms")
    engine.dispose()
    return [Figure(NAME, worst, 1.0, 200.0, higher_is_better=False)]
