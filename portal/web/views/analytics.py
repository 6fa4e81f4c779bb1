"""The analytics dashboard (dispatchers: their own area; administrators: everywhere) and its
CSV exports, streamed, at most ``CSV_MAX_ROWS`` rows each."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from portal.accounts.roles import Role
from portal.analytics import aggregates, dashboard, exports, tables
from portal.analytics.measures import Filters, default_period
from portal.bodies.labels import LEVEL_LABELS
from portal.bodies.models import Area, Level
from portal.bodies.services import area_subtree_ids
from portal.cases.disputes import DISPUTE_TYPES
from portal.db import session_scope
from portal.deadlines.calendar import TIME_ZONE
from portal.dispatch.levels import LEVEL_ORDER
from portal.i18n import gettext_, translate
from portal.web.convertors import row_id
from portal.web.deps import CurrentUser, in_db, load_user
from portal.web.downloads import PRIVATE_HEADERS
from portal.web.forms import Form
from portal.web.security import requires, user_of
from portal.web.templating import render

CSV_MAX_ROWS = 100_000
FIRST_DAY = dt.date(2000, 1, 1)
FILTERS = ("from", "to", "area", "type", "level")


def today() -> dt.date:
    return dt.datetime.now(TIME_ZONE).date()


def _period(form: Form) -> tuple[dt.date, dt.date]:
    last = today() + dt.timedelta(days=366)
    start, end = default_period(today())
    found: dict[str, dt.date] = {}
    for name in ("from", "to"):
        raw = form.get(name).strip()
        if not raw:
            continue
        try:
            found[name] = dt.date.fromisoformat(raw)
        except ValueError:
            form.error(name, "Enter a date as YYYY-MM-DD.")
            continue
        if not FIRST_DAY <= found[name] <= last:
            form.error(name, "Choose a date between {first} and {last}.",
                       first=FIRST_DAY.isoformat(), last=last.isoformat())
    # One end given: the other as on the first page, around it.
    end = found.get("to", max(end, found.get("from", end)))
    start = found.get("from", default_period(end)[0])
    if not form.errors and start > end:
        form.error("to", "The end date is before the start date. Choose an end date on or "
                         "after the start date.")
    return start, end


def _choice(form: Form, name: str, allowed: Iterable[str], message: str) -> str | None:
    raw = form.get(name).strip()
    if raw and raw not in set(allowed):
        form.error(name, message)
        return None
    return raw or None


def _scope(session: Session, current: CurrentUser, form: Form) -> int | None:
    """The chosen area (None: everywhere); 403 for an area outside the user's own."""
    user = load_user(session, current)
    if user.role is Role.DISPATCHER and user.area_id is None:
        raise HTTPException(403, gettext_("Your account has no area yet; an administrator "
                                          "sets it."))
    allowed = area_subtree_ids(session, user.area_id) if user.area_id else None
    raw = form.get("area").strip()
    if not raw:
        return user.area_id
    found = row_id(raw)
    area = session.get(Area, found) if found is not None else None
    if area is None:
        form.error("area", "Choose an area from the list.")
        return user.area_id
    if allowed is not None and area.id not in allowed:
        raise HTTPException(403, gettext_("You may only see the figures of your own area."))
    return area.id


def read_filters(session: Session, current: CurrentUser, form: Form) -> Filters | None:
    """The filters of the request, or None with the form's errors."""
    start, end = _period(form)
    kind = _choice(form, "type", DISPUTE_TYPES, "Choose a dispute type from the list.")
    level = _choice(form, "level", (lv.value for lv in LEVEL_ORDER),
                    "Choose a level from the list.")
    area_id = _scope(session, current, form)
    if form.errors:
        return None
    area_ids = tuple(area_subtree_ids(session, area_id)) if area_id is not None else None
    return Filters(start, end, area_ids, kind, Level(level) if level else None)


def _area_choices(session: Session, current: CurrentUser) -> list[tuple[int, str]]:
    query = select(Area.id, Area.name, Area.level, Area.code).order_by(Area.code)
    if current.area_id is not None:
        query = query.where(Area.id.in_(area_subtree_ids(session, current.area_id)))
    indent = {Level.CITY: "", Level.TOWN: "· ", Level.VILLAGE: "· · ", Level.GRID: "· · · "}
    return [(id_, f"{indent[Level(level)]}{name}") for id_, name, level, _ in
            session.execute(query)]


def _form(request: Request) -> Form:
    return Form(values={k: v[:20] for k, v in request.query_params.items() if k in FILTERS})


async def _page(request: Request, form: Form, *, notice: str = "",
                status: int = 200) -> Response:
    current = user_of(request)

    def work(session: Session) -> dict[str, Any]:
        filters = read_filters(session, current, form)
        found = dashboard.dashboard(session, filters) if filters else None
        return {"found": found, "filters": filters, "areas": _area_choices(session, current),
                "updated_at": aggregates.updated_at(session)}

    data = await in_db(work)
    found = data["found"]
    shown = tables.all_tables(found) if found is not None else []
    query = urlencode({k: v for k, v in form.values.items() if v})
    return render(request, "analytics/dashboard.html", {
        **data, "form": form, "values": form.values, "tables": shown, "notice": notice,
        "summary": tables.summary(found.breakdown.total) if found else [],
        "charts": json.dumps({t.key: {**t.chart, "title": t.title} for t in shown},
                             ensure_ascii=False),
        "export": f"/analytics/export?{query}&" if query else "/analytics/export?",
        "types": [(k, gettext_(v)) for k, v in DISPUTE_TYPES.items()],
        "levels": [(lv.value, gettext_(LEVEL_LABELS[lv])) for lv in LEVEL_ORDER],
        "presets": _presets(),
        "selected_area": form.get("area").strip() or (
            str(current.area_id) if current.area_id else ""),
    }, 400 if form.errors else status)


def _presets() -> list[tuple[str, str]]:
    day = today()
    start, _ = default_period(day)
    ranges = [(gettext_("Last 30 days"), day - dt.timedelta(days=29)),
              (gettext_("Last 90 days"), day - dt.timedelta(days=89)),
              (gettext_("Last 12 months"), start),
              (gettext_("Last 2 years"), day.replace(year=day.year - 2) + dt.timedelta(days=1)
               if (day.month, day.day) != (2, 29) else day - dt.timedelta(days=730))]
    return [(label, urlencode({"from": first.isoformat(), "to": day.isoformat()}))
            for label, first in ranges]


@requires(Role.DISPATCHER, Role.ADMIN)
async def analytics_page(request: Request) -> Response:
    return await _page(request, _form(request))


def _csv(rows: Iterable[list[str]]) -> Iterator[bytes]:
    """CSV in pieces of about 64 Ki characters, with a BOM so spreadsheets read UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    yield "\ufeff".encode()
    for row in rows:
        writer.writerow(row)
        if out.tell() > 65536:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def _attachment(rows: Iterable[list[str]], name: str, filters: Filters) -> StreamingResponse:
    filename = f"analytics-{name}-{filters.start}-{filters.end}.csv"
    return StreamingResponse(_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', **PRIVATE_HEADERS})


def _orders(filters: Filters, labels: exports.Labels) -> Iterator[list[str]]:
    # Runs in the response's worker thread, with its own session, while the rows stream.
    with session_scope() as session:
        yield from exports.order_rows(session, filters, labels)


def _too_many(count: int) -> str:
    return translate("This export would have {count} rows, more than the {limit} that can be "
                     "downloaded at once. Choose a shorter period, one area or one dispute "
                     "type.", count=format(count, ","), limit=format(CSV_MAX_ROWS, ","))


@requires(Role.DISPATCHER, Role.ADMIN)
async def analytics_export(request: Request) -> Response:
    current, form = user_of(request), _form(request)
    table = request.query_params.get("table", "")
    if table != "orders" and table not in tables.BUILDERS:
        raise HTTPException(400, gettext_("There is no such table to download. Use a "
                                          "download link of the dashboard."))

    def work(session: Session) -> tuple[Filters | None, int, list[list[str]]]:
        filters = read_filters(session, current, form)
        if filters is None:
            return None, 0, []
        if table == "orders":
            count = session.execute(exports.orders_query(filters, func.count())).scalar_one()
            return filters, count, []
        found = tables.BUILDERS[table](dashboard.dashboard(session, filters))
        return filters, len(found.rows), [found.headers, *found.rows]

    filters, count, rows = await in_db(work)
    if filters is None:
        return await _page(request, form)
    if count > CSV_MAX_ROWS:
        return await _page(request, form, notice=_too_many(count), status=400)
    if table == "orders":
        return _attachment(_orders(filters, exports.labels()), table, filters)
    return _attachment(rows, table, filters)


ROUTES = [
    Route("/analytics", analytics_page, name="analytics"),
    Route("/analytics/export", analytics_export, name="analytics_export"),
]
