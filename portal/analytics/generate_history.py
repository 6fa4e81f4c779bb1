"""The rows of one generated dispute: its case, parties, claim, work order, steps, case
events and ratings, as tuples in the column order of ``COLUMNS``.

An order goes through the steps of the real loop (portal.dispatch.flow) with sampled
lengths: dispatched by the centre of its level (applications may go straight to the chosen
body), accepted, sometimes escalated one level, handled, visited, reviewed and closed; a
few near-duplicates are merged on dispatch. An order whose next step would end after "now"
stays open at that step. Case events are the order's milestones (not every intermediate
status of the case); follow-up visits are not generated.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from portal.analytics import generate_text as words
from portal.bodies.models import Level
from portal.cases.states import Status, Trigger
from portal.dispatch.levels import next_level
from portal.dispatch.models import Department, Outcome, Priority, Source, Step

COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": ("id", "number", "status", "dispute_type", "title", "summary", "applicant_id",
              "body_id", "mediator_id", "area_id", "wizard_step", "consent_online",
              "consent_service", "submitted_at", "created_at", "updated_at"),
    "case_participants": ("id", "case_id", "role", "user_id", "kind", "name", "id_number",
                          "phone", "email", "address"),
    "case_claims": ("id", "case_id", "position", "description", "amount"),
    "case_events": ("id", "case_id", "trigger", "from_status", "to_status", "actor_id",
                    "actor_role", "reason", "created_at"),
    "work_orders": ("id", "case_id", "source", "department", "external_ref", "area_id",
                    "level", "priority", "is_group", "step", "owner_area_id", "owner_body_id",
                    "step_started_at", "due_at", "escalations", "reporter_id", "address",
                    "merged_into_id", "outcome", "closing_note", "closed_at", "closed_by_id",
                    "created_at"),
    "work_order_steps": ("id", "order_id", "step", "level", "owner_area_id", "owner_body_id",
                         "started_at", "due_at", "ended_at", "went_overdue", "note",
                         "case_event_id"),
    "work_order_ratings": ("id", "order_id", "participant_id", "party_name", "score",
                           "comment", "recorded_by_id", "created_at"),
}
H = dt.timedelta(hours=1)
CENTS = Decimal("0.01")
# Calendar approximations of the default time limits (portal.dispatch.rules).
LIMITS = {Step.DISPATCH: 36 * H, Step.ACCEPT: 96 * H, Step.HANDLE: 30 * 24 * H,
          Step.FOLLOW_UP: 15 * 24 * H, Step.REVIEW: 96 * H}
# Median hours of each step; lengths are log-normal around it.
MEDIAN_HOURS = {Step.DISPATCH: 3.0, Step.ACCEPT: 14.0, Step.HANDLE: 8 * 24.0,
                Step.FOLLOW_UP: 5 * 24.0, Step.REVIEW: 20.0}
OUTCOMES = ((Outcome.AGREEMENT, 68), (Outcome.CONFIRMED, 6), (Outcome.FAILED, 14),
            (Outcome.WITHDRAWN, 6), (Outcome.TRANSFERRED, 6))
OUTCOME_EVENT = {Outcome.AGREEMENT: (Trigger.ALL_SIGNED, Status.AGREEMENT_IN_EFFECT),
                 Outcome.CONFIRMED: (Trigger.COURT_CONFIRM, Status.CONFIRMED),
                 Outcome.FAILED: (Trigger.FAIL_MEDIATION, Status.MEDIATION_FAILED),
                 Outcome.WITHDRAWN: (Trigger.WITHDRAW, Status.WITHDRAWN),
                 Outcome.TRANSFERRED: (Trigger.TRANSFER, Status.TRANSFERRED)}
# Plain strings of the enumerations' members: the COPY writes them as text, and a member's
# .value is slow in a loop run millions of times.
V: dict[Any, str] = {m: m.value for enum in (Step, Level, Status, Trigger, Source, Priority,
                                              Outcome, Department) for m in enum}
# Log-normal factors (median 1) drawn once, then picked from: much cheaper than a draw each.
_SPREAD_DRAWS = random.Random(2026)
SPREAD = [_SPREAD_DRAWS.lognormvariate(0, 0.8) for _ in range(4096)]
SCORES = ((5, 45), (4, 35), (3, 12), (2, 5), (1, 3))


def weighted(pairs: tuple[tuple[Any, int], ...]) -> Callable[[random.Random], Any]:
    values = [v for v, _ in pairs]
    cumulative, total = [], 0
    for _, weight in pairs:
        total += weight
        cumulative.append(total)
    return lambda rng: rng.choices(values, cum_weights=cumulative)[0]


@dataclass(frozen=True)
class Place:
    """A village or town with what an order there needs, precomputed."""

    id: int
    name: str
    village: bool
    # The centre (area) that owns an order of this place at each level.
    centres: dict[Level, int]
    # (wanted level, type) -> the level that has bodies taking the type, and those bodies.
    routes: dict[tuple[Level, str], tuple[Level, tuple[int, ...]]]


@dataclass
class World:
    places: list[Place]
    mediators: dict[int, tuple[int, ...]]  # body -> its mediators
    admins: dict[int, int]  # body -> an administrator
    dispatcher: int | None
    reporter: int | None
    clerk: int | None
    applicants: list[int]  # party accounts for online applications
    now: dt.datetime
    id_numbers: words.IdNumbers
    # People who come back with several disputes (name, phone, ID number).
    regulars: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Ids:
    next: dict[str, int]
    numbers: dict[int, int]  # year -> last case number

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def number(self, year: int) -> str:
        self.numbers[year] = self.numbers.get(year, 0) + 1
        return f"FQ-{year}-{self.numbers[year]:06d}"


@dataclass
class Batch:
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {table: [] for table in COLUMNS})

    def __len__(self) -> int:
        return len(self.rows["cases"])


pick_outcome = weighted(OUTCOMES)
pick_score = weighted(SCORES)
pick_department = weighted(((Department.POLICE, 4), (Department.PETITIONS, 2),
                            (Department.HOTLINE_12345, 3), (Department.LABOUR_INSPECTION, 1)))


def _length(rng: random.Random, step: Step, stall: bool) -> dt.timedelta:
    spread = SPREAD[int(rng.random() * len(SPREAD))]
    hours = MEDIAN_HOURS[step] * spread * (4 if stall else 1)
    return dt.timedelta(hours=min(hours, 24 * 120))


class Timeline:
    """Walks one order through its steps, writing steps and events until "now"."""

    def __init__(self, world: World, ids: Ids, batch: Batch, case_id: int, order_id: int,
                 start: dt.datetime, status: Status) -> None:
        self.world, self.ids, self.batch = world, ids, batch
        self.case_id, self.order_id, self.t, self.status = case_id, order_id, start, status
        self.open: tuple[Step, Level, int | None, int | None, dt.datetime, dt.datetime] | None
        self.open = None
        self.last_event = start

    def event(self, at: dt.datetime, trigger: Trigger, to: Status, actor: int | None,
              role: str) -> int:
        event_id = self.ids.take("case_events")
        self.batch.rows["case_events"].append((event_id, self.case_id, V[trigger],
                                               V[self.status], V[to], actor, role, "",
                                               at))
        self.status, self.last_event = to, at
        return event_id

    def step(self, rng: random.Random, step: Step, level: Level, area: int | None,
             body: int | None, stall: bool,
             end: Callable[[dt.datetime], int | None] | None = None) -> bool:
        """Run ``step``; False when it is still open now (the order stops there)."""
        started, due = self.t, self.t + LIMITS[step]
        ended = started + _length(rng, step, stall)
        if ended > self.world.now:
            self.open = (step, level, area, body, started, due)
            self.batch.rows["work_order_steps"].append((
                self.ids.take("work_order_steps"), self.order_id, V[step], V[level],
                area, body, started, due, None, False, "", None))
            return False
        event_id = end(ended) if end is not None else None
        self.batch.rows["work_order_steps"].append((
            self.ids.take("work_order_steps"), self.order_id, V[step], V[level], area,
            body, started, due, ended, ended > due, "", event_id))
        self.t = ended
        return True


FIRST_LEVEL = {"family": Level.VILLAGE, "neighbour": Level.VILLAGE, "land": Level.TOWN,
               "labour": Level.TOWN, "consumer": Level.CITY, "maritime": Level.CITY}


def _parties(rng: random.Random, world: World, ids: Ids, batch: Batch, case_id: int,
             kind: str, place: Place, applicant: int | None,
             is_group: bool) -> tuple[str, str, list[tuple[int, str]]]:
    """Applicants and a respondent; returns their names and the (id, name) of each."""
    rows, r = batch.rows["case_participants"], rng.random
    found: list[tuple[int, str]] = []
    address = f"{place.name}{int(r() * 12) + 1}组{int(r() * 60) + 1}号"
    for n in range(3 + int(r() * 6) if is_group else 1):
        if world.regulars and r() < 0.04:
            name, phone, id_number = world.regulars[int(r() * len(world.regulars))]
        else:
            name, phone = words.person(rng), words.phone(rng)
            id_number = world.id_numbers() if r() < 0.6 else ""
        pid = ids.take("case_participants")
        rows.append((pid, case_id, "applicant", applicant if n == 0 else None, "person", name,
                     id_number or None, phone, "", address))
        found.append((pid, name))
    organisation = kind in ("labour", "consumer") or (kind == "medical" and rng.random() < .8)
    respondent = words.company(rng) if organisation else words.person(rng)
    pid = ids.take("case_participants")
    rows.append((pid, case_id, "respondent", None,
                 "organisation" if organisation else "person", respondent, None,
                 words.phone(rng), "", address))
    found.append((pid, respondent))
    return found[0][1], respondent, found


def dispute(rng: random.Random, world: World, ids: Ids, batch: Batch, created: dt.datetime,
            place: Place, kind: str, source: Source, merged_into: int | None) -> int:
    """Write one dispute's rows; returns its order's id."""
    case_id, order_id = ids.take("cases"), ids.take("work_orders")
    is_group = kind == "labour" and rng.random() < 0.04
    priority = (Priority.MAJOR if is_group else
                Priority.URGENT if rng.random() < 0.05 else Priority.NORMAL)
    level, bodies = place.routes[(Level.CITY if is_group else
                                  FIRST_LEVEL.get(kind, Level.VILLAGE), kind)]
    higher = next_level(level)
    escalate = higher is not None and rng.random() < (0.10 if level is Level.VILLAGE else 0.05)
    applicant = rng.choice(world.applicants) if (
        source is Source.APPLICATION and world.applicants) else None
    first, respondent, parties = _parties(rng, world, ids, batch, case_id, kind, place,
                                          applicant, is_group)
    dispatcher, stall = world.dispatcher, rng.random() < 0.03
    tl = Timeline(world, ids, batch, case_id, order_id, created, Status.DRAFT)
    if source is Source.APPLICATION:
        tl.event(created, Trigger.SUBMIT, Status.SUBMITTED, applicant, "applicant")
    submitted = created if source is Source.APPLICATION else None
    body = mediator = None
    outcome: Outcome | None = None
    closed_at = rated_at = None
    escalations = 0

    def dispatched(at: dt.datetime) -> int:
        nonlocal submitted
        submitted = submitted or at
        return tl.event(at, Trigger.DISPATCH, Status.SUBMITTED, dispatcher, "dispatcher")

    def dispatch(level: Level) -> bool:
        return tl.step(rng, Step.DISPATCH, level, place.centres[level], None, stall, dispatched)

    def accept(level: Level, chosen: int, last: bool) -> bool:
        nonlocal body
        body = chosen
        return tl.step(rng, Step.ACCEPT, level, None, chosen, stall, lambda at: tl.event(
            at, Trigger.ACCEPT, Status.ACCEPTED, world.admins.get(chosen), "body") if last
            else tl.event(at, Trigger.ESCALATE, Status.SUBMITTED, dispatcher, "dispatcher"))

    alive = True
    if merged_into is not None:
        alive = tl.step(rng, Step.DISPATCH, level, place.centres[level], None, stall,
                        lambda at: tl.event(at, Trigger.MERGE, Status.CLOSED, dispatcher,
                                            "dispatcher"))
        outcome, closed_at = (Outcome.MERGED, tl.t) if alive else (None, None)
        alive = False
    elif source is Source.APPLICATION and not escalate and rng.random() < 0.5:
        alive = accept(level, rng.choice(bodies), True)  # the party chose the body
    else:
        alive = dispatch(level) and accept(level, rng.choice(bodies), not escalate)
        if alive and escalate and higher is not None:
            escalations, body = 1, None
            level, bodies = place.routes[(higher, kind)]
            alive = dispatch(level) and accept(level, rng.choice(bodies), True)
    if alive and body is not None:
        outcome = pick_outcome(rng)
        started = tl.t + dt.timedelta(minutes=5 + 600 * rng.random())
        if outcome is not Outcome.TRANSFERRED and started < world.now:
            mediator = rng.choice(world.mediators.get(body) or (None,))
            tl.event(started, Trigger.START_MEDIATION, Status.IN_MEDIATION, mediator,
                     "mediator")
        trigger, status = OUTCOME_EVENT[outcome]
        alive = tl.step(rng, Step.HANDLE, level, None, body, stall, lambda at: tl.event(
            at, trigger, status, mediator or world.admins.get(body or 0), "mediator"))
        outcome = outcome if alive else None
        rated_at = tl.t + dt.timedelta(hours=24 + 216 * rng.random())
        alive = alive and tl.step(rng, Step.FOLLOW_UP, level, None, body, stall)
        alive = alive and tl.step(rng, Step.REVIEW, level, place.centres[level], None, stall,
                                  lambda at: tl.event(at, Trigger.CLOSE, Status.CLOSED,
                                                      dispatcher, "dispatcher"))
        closed_at = tl.t if alive else None
    if (closed_at is not None and outcome in (Outcome.AGREEMENT, Outcome.CONFIRMED)
            and rated_at is not None and rated_at < closed_at and rng.random() < 0.55):
        for pid, name in parties[:1] if rng.random() < 0.5 else parties[-2:]:
            batch.rows["work_order_ratings"].append((
                ids.take("work_order_ratings"), order_id, pid, name, pick_score(rng), "",
                world.admins.get(body or 0), rated_at))
    step, owner_area, owner_body, step_started, due = (
        (Step.CLOSED, None, None, closed_at, None) if tl.open is None or closed_at
        else (tl.open[0], tl.open[2], tl.open[3], tl.open[4], tl.open[5]))
    department = (pick_department(rng) if source is Source.TRANSFER_IN else
                  Department.COURT if source is Source.COURT_REFERRAL else None)
    reporter = {Source.GRID_REPORT: world.reporter, Source.TRANSFER_IN: dispatcher,
                Source.COURT_REFERRAL: world.clerk}.get(source)
    address = f"{place.name}{int(rng.random() * 12) + 1}组{int(rng.random() * 60) + 1}号"
    batch.rows["work_orders"].append((
        order_id, case_id, V[source], V[department] if department else None, "",
        place.id, V[level], V[priority], is_group, V[step], owner_area, owner_body,
        step_started or created, due, escalations, reporter, address, merged_into,
        V[outcome] if outcome else None, "", closed_at,
        dispatcher if closed_at else None, created))
    summary = words.DESCRIPTIONS[kind].format(a=first, r=respondent, addr=address)
    if rng.random() < 0.015:
        summary += rng.choice(words.ESCALATION)
    batch.rows["cases"].append((
        case_id, ids.number(created.year), V[tl.status], kind,
        rng.choice(words.TITLES[kind]), summary, applicant,
        None if step is Step.DISPATCH else body, mediator, place.id,
        "review", source is Source.APPLICATION, source is Source.APPLICATION, submitted,
        created - dt.timedelta(minutes=120 * rng.random()) if applicant else created,
        tl.last_event))
    if kind in words.AMOUNT_TYPES and rng.random() < 0.8:
        amount = Decimal(round(8000 * rng.lognormvariate(0, 1.2)
                               * (50 if rng.random() < .01 else 1), 2)).quantize(CENTS)
        batch.rows["case_claims"].append((ids.take("case_claims"), case_id, 0,
                                          "赔偿或支付款项", amount))
    return order_id
