"""`odr demo generate --cases N`: N more disputes over the last two years, written in bulk.

Across the demo areas and bodies (the demo data is loaded first when missing): cases with
their parties and claims, work orders with every step, case events and satisfaction ratings
(portal.analytics.generate_history); more disputes on weekdays, a slow growth over the two
years, a few two-week hotspots in one area, people who come back, some escalation language.

Rows go in with COPY on PostgreSQL (foreign-key triggers off for the load when the account
may do so: the rows are consistent by construction) and with Core executemany in batches
elsewhere. Ids continue after the existing rows; case numbers after the year's counter.
Nothing goes through the services, so nothing is audited or notified: it is demo data.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from portal import demo
from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.accounts.roles import Role
from portal.analytics.aggregates import day_start
from portal.analytics.generate_history import (
    COLUMNS,
    Batch,
    Ids,
    Place,
    World,
    dispute,
    weighted,
)
from portal.analytics.generate_sink import restore_indexes, sink_for, without_indexes
from portal.analytics.generate_text import IdNumbers, person, phone
from portal.bodies.models import Area, Level, MediationBody
from portal.bodies.services import accepts
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import CaseCounter
from portal.db.base import Base
from portal.db.types import utcnow
from portal.deadlines.calendar import TIME_ZONE
from portal.dispatch.levels import LEVEL_ORDER, centre_for, order_level
from portal.dispatch.models import Source

APPLICANT_ACCOUNTS = 2000
APPLICANT_PHONES = 15_100_000_000
REGULARS = 2000
HOTSPOTS, HOTSPOT_DAYS, HOTSPOT_FACTOR = 4, 14, 4.0
VILLAGE_TYPES = {"family": 24, "neighbour": 30, "land": 12, "property": 10, "labour": 8,
                 "consumer": 4, "traffic": 5, "medical": 2, "maritime": 2, "other": 3}
TOWN_TYPES = {"family": 10, "neighbour": 10, "land": 8, "property": 16, "labour": 24,
              "consumer": 14, "traffic": 8, "medical": 4, "maritime": 3, "other": 3}
pick_source = weighted(((Source.APPLICATION, 30), (Source.GRID_REPORT, 45),
                        (Source.TRANSFER_IN, 20), (Source.COURT_REFERRAL, 5)))
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Generated:
    cases: int
    rows: dict[str, int]
    seconds: float


def _routes(session: Session, area: Area) -> dict[tuple[Level, str], tuple[Level, tuple[int,
                                                                                       ...]]]:
    lineage = {a.id for a in area.lineage()}
    active = list(session.execute(select(MediationBody).where(
        MediationBody.is_active.is_(True))).scalars())
    routes = {}
    for kind in DISPUTE_TYPES:
        for wanted in LEVEL_ORDER:
            for level in LEVEL_ORDER[LEVEL_ORDER.index(wanted):]:
                found = tuple(b.id for b in active if accepts(b, kind) and b.area_id in lineage
                              and order_level(b.level) is level)
                if found:
                    routes[(wanted, kind)] = (level, found)
                    break
            else:
                anywhere = tuple(b.id for b in active if accepts(b, kind))
                routes[(wanted, kind)] = (Level.CITY, anywhere or tuple(b.id for b in active))
    return routes


def _applicants(session: Session, wanted: int) -> list[int]:
    """Party accounts that file the generated online applications (made once)."""
    phones = [str(APPLICANT_PHONES + n) for n in range(wanted)]
    have = set(session.execute(select(User.phone).where(User.phone.in_(phones))).scalars())
    missing = [p for p in phones if p not in have]
    if missing:
        unusable = hash_password(secrets.token_urlsafe(32))
        rng = random.Random(wanted)
        session.execute(insert(User), [
            {"phone": p, "name": person(rng), "password_hash": unusable, "role": Role.PARTY,
             "is_active": True, "created_at": utcnow()} for p in missing])
    return list(session.execute(select(User.id).where(User.phone.in_(phones))).scalars())


def _staff(session: Session, role: Role) -> list[User]:
    return list(session.execute(select(User).where(User.role == role, User.is_active.is_(True))
                                .order_by(User.id)).scalars())


def load_world(session: Session, now: dt.datetime, rng: random.Random) -> World:
    if not demo.is_loaded(session):
        demo.load(session)
        session.flush()
    areas = session.execute(select(Area).where(Area.level.in_([Level.VILLAGE, Level.TOWN]))
                            .order_by(Area.code)).scalars()
    places = [Place(a.id, a.name, a.level is Level.VILLAGE,
                    {lv: centre_for(session, a, lv).id for lv in LEVEL_ORDER},
                    _routes(session, a)) for a in areas]
    mediators: dict[int, list[int]] = {}
    for user in _staff(session, Role.MEDIATOR):
        if user.body_id is not None:
            mediators.setdefault(user.body_id, []).append(user.id)
    numbers = IdNumbers(rng)
    admins = {u.body_id: u.id for u in reversed(_staff(session, Role.BODY_ADMIN)) if u.body_id}
    first = {role: next(iter(_staff(session, role)), None) for role in (
        Role.DISPATCHER, Role.GRID_WORKER, Role.COURT_CLERK)}
    return World(
        places=places, mediators={k: tuple(v) for k, v in mediators.items()}, admins=admins,
        dispatcher=_id(first[Role.DISPATCHER]), reporter=_id(first[Role.GRID_WORKER]),
        clerk=_id(first[Role.COURT_CLERK]),
        applicants=_applicants(session, APPLICANT_ACCOUNTS), now=now, id_numbers=numbers,
        regulars=[(person(rng), phone(rng), numbers()) for _ in range(REGULARS)])


def _id(user: User | None) -> int | None:
    return user.id if user is not None else None


def _ids(session: Session) -> Ids:
    tables = Base.metadata.tables
    nexts = {name: int(session.execute(select(func.coalesce(func.max(tables[name].c.id), 0)))
                       .scalar_one()) + 1 for name in COLUMNS}
    counters = {c.year: c.last for c in session.execute(select(CaseCounter)).scalars()}
    return Ids(nexts, counters)


def _days(rng: random.Random, cases: int, first: dt.date, days: int) -> Counter[int]:
    """How many disputes each day gets: fewer at weekends, a third more by the end."""
    weights = [(1 + 0.3 * n / days) * (0.6 if (first + dt.timedelta(days=n)).weekday() >= 5
                                        else 1.0) for n in range(days)]
    return Counter(rng.choices(range(days), weights=weights, k=cases))


def _finish(session: Session, ids: Ids, postgres: bool) -> None:
    if postgres:
        # The planner needs to know the tables grew (the dashboard's recount comes next).
        session.execute(text(f"ANALYZE {', '.join(COLUMNS)}"))
        for table in COLUMNS:
            # Table names from COLUMNS, not from input.
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                                 f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    for year, last in ids.numbers.items():
        row = session.execute(select(CaseCounter).where(CaseCounter.year == year)).scalar()
        if row is None:
            session.add(CaseCounter(year=year, last=last))
        else:
            row.last = max(row.last, last)
    session.flush()


def generate(session: Session, *, cases: int, years: int = 2, seed: int = 2026,
             batch_size: int = 20_000, rebuild_indexes: bool = False,
             progress: Progress | None = None) -> Generated:
    """Add ``cases`` disputes. ``rebuild_indexes`` (PostgreSQL): drop the tables' plain
    indexes for the load and build them at the end; faster for a large load, but the
    tables are locked until the transaction ends."""
    started, now = time.monotonic(), utcnow()
    rng = random.Random(seed)
    world = load_world(session, now, rng)
    postgres = session.get_bind().dialect.name == "postgresql"
    ids, batch, written = _ids(session), Batch(), Counter[str]()
    indexes = without_indexes(session, COLUMNS) if postgres and rebuild_indexes else []
    sink = sink_for(session)
    today = now.astimezone(TIME_ZONE).date()
    span = years * 365
    first = today - dt.timedelta(days=span - 1)
    hot = [(rng.randrange(len(world.places)), rng.randrange(span)) for _ in range(HOTSPOTS)]
    kinds = {p.id: weighted(tuple((VILLAGE_TYPES if p.village else TOWN_TYPES).items()))
             for p in world.places}
    recent: dict[tuple[int, str], tuple[int, dt.datetime]] = {}
    per_day = _days(rng, cases, first, span)
    base = [3.0 if p.village else 2.0 for p in world.places]

    def flush() -> None:
        for table in COLUMNS:  # in this order: rows refer to those of tables before them
            rows, batch.rows[table] = batch.rows[table], []
            sink.write(table, rows)
            written[table] += len(rows)

    for n in range(span):
        day = first + dt.timedelta(days=n)
        weights = [w * (HOTSPOT_FACTOR if any(i == k and 0 <= n - d < HOTSPOT_DAYS
                                              for k, d in hot) else 1.0)
                   for i, w in enumerate(base)]
        opening = day_start(day) + dt.timedelta(hours=7)
        for _ in range(per_day.get(n, 0)):
            created = min(opening + dt.timedelta(seconds=rng.randrange(14 * 3600)),
                          now - dt.timedelta(seconds=rng.randrange(1, 3600)))
            place = rng.choices(world.places, weights=weights)[0]
            kind, source = kinds[place.id](rng), pick_source(rng)
            previous = recent.get((place.id, kind))
            merged = previous[0] if (
                previous is not None and source is Source.GRID_REPORT and rng.random() < 0.03
                and created - previous[1] < dt.timedelta(days=3)) else None
            order = dispute(rng, world, ids, batch, created, place, kind, source, merged)
            recent[(place.id, kind)] = (merged or order, created)
            if len(batch) >= batch_size:
                flush()
                if progress is not None:
                    progress(f"{written['cases']:,} disputes written")
    flush()
    sink.close()
    if indexes and progress is not None:
        progress(f"building {len(indexes)} indexes")
    restore_indexes(session, indexes)
    _finish(session, ids, postgres)
    return Generated(written["cases"], dict(written), time.monotonic() - started)
