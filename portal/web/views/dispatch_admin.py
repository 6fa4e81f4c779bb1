"""The administrator's step time limits, and the order loop's figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.roles import Role
from portal.bodies.labels import LEVEL_LABELS
from portal.bodies.models import Area, Level
from portal.bodies.services import area_subtree_ids
from portal.cases import services as cases
from portal.dispatch import figures, rules
from portal.dispatch.figures import Row
from portal.dispatch.labels import STEP_LABELS
from portal.dispatch.levels import LEVEL_ORDER
from portal.dispatch.models import Step, StepRule
from portal.i18n import gettext_, translate
from portal.web.convertors import row_id
from portal.web.deps import in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, read_form
from portal.web.security import requires, user_of
from portal.web.templating import render


def _rows(session: Session) -> list[dict[str, Any]]:
    rows = []
    for step, default in rules.DEFAULTS.items():
        rule = rules.rule_for(session, step)
        rows.append({"step": step.value, "step_label": gettext_(STEP_LABELS[step]),
                     "label": gettext_(default.label), "working_days": rule.working_days,
                     "calendar_days": rule.calendar_days, "remind_hours": rule.remind_hours,
                     "custom": session.get(StepRule, step) is not None})
    return rows


def _number(form: Form, name: str) -> int:
    raw = form.get(name).strip() or "0"
    if not raw.isdigit() or len(raw) > 4:
        raise cases.MissingInput(name, "Enter a whole number.")
    return int(raw)


@requires(Role.ADMIN)
async def step_rules(request: Request) -> Response:
    current = user_of(request)
    form = await read_form(request) if request.method == "POST" else Form()
    if request.method == "POST":
        def work(session: Session) -> None:
            raw = form.get("step")
            if raw not in {s.value for s in rules.DEFAULTS}:
                raise cases.MissingInput("step", "Choose a step that has a time limit.")
            rules.set_rule(session, step=Step(raw), working_days=_number(form, "working_days"),
                           calendar_days=_number(form, "calendar_days"),
                           remind_hours=_number(form, "remind_hours"),
                           actor=load_user(session, current))

        try:
            await in_db(work)
        except cases.MissingInput as exc:
            form.error(exc.field, exc.message, **exc.params)
        else:
            flash(request, gettext_("The time limit was saved. It applies to steps that start "
                                    "from now on."))
            return RedirectResponse("/admin/dispatch-rules", status_code=303)
    return render(request, "orders/rules.html", {"rows": await in_db(_rows), "form": form},
                  400 if form.errors else 200)


def _period(form: Form) -> tuple[dt.date | None, dt.date | None]:
    found: list[dt.date | None] = []
    for name in ("from", "to"):
        raw = form.get(name).strip()
        try:
            found.append(dt.date.fromisoformat(raw) if raw else None)
        except ValueError:
            form.error(name, "Enter a date as YYYY-MM-DD.")
            found.append(None)
    start, end = found
    if start and end and start > end:
        form.error("to", "The end date is before the start date. Choose an end date on or "
                         "after the start date.")
    return start, end




def _cells(row: Row) -> list[str]:
    rate = row.resolution_rate
    shares = row.share_by_level
    days = row.avg_days_per_step
    return [str(row.received), str(row.dispatched), str(row.resolved), str(row.closed),
            "" if rate is None else f"{rate:.1%}",
            *("" if shares[level] is None else f"{shares[level]:.1%}" for level in LEVEL_ORDER),
            *("" if days[step] is None else f"{days[step]:.1f}" for step in STEPS),
            str(row.overdue)]


STEPS = [step for step in Step if step is not Step.CLOSED]


def _headers() -> list[str]:
    return [gettext_("Received"), gettext_("Dispatched"), gettext_("Resolved"),
            gettext_("Closed"), gettext_("Resolution rate"),
            *(translate("Resolved at {level} level", level=gettext_(LEVEL_LABELS[level]))
              for level in LEVEL_ORDER),
            *(translate("Days: {step}", step=gettext_(STEP_LABELS[step])) for step in STEPS),
            gettext_("Overdue")]


@requires(Role.DISPATCHER, Role.ADMIN)
async def order_figures(request: Request) -> Response:
    current = user_of(request)
    form = Form(values={k: v[:20] for k, v in request.query_params.items()})
    start, end = _period(form)

    def work(session: Session) -> dict[str, Any]:
        user = load_user(session, current)
        allowed = area_subtree_ids(session, user.area_id) if user.area_id else None
        wanted = form.get("area")
        area_id = found if (found := row_id(wanted)) is not None else user.area_id
        if allowed is not None and area_id not in allowed:
            raise HTTPException(403, gettext_("You may only see the figures of your own area."))
        areas = session.execute(select(Area).where(Area.id.in_(allowed)) if allowed else
                                select(Area)).scalars()
        return {"figures": None if form.errors else figures.figures(
                    session, area_id=area_id, start=start, end=end),
                "areas": sorted(((a.id, a.name) for a in areas), key=lambda a: a[1]),
                "area_id": area_id}

    data = await in_db(work)
    found = data["figures"]
    if found is not None and form.get("format") == "csv":
        return _csv(found)
    tables = [] if found is None else [
        (gettext_("By area"), [(r.label, _cells(r)) for r in found.areas]),
        (gettext_("By level"), [(gettext_(LEVEL_LABELS[Level(r.key)]), _cells(r))
                                for r in found.levels]),
        (gettext_("By mediation body"), [(r.label, _cells(r)) for r in found.bodies]),
        (gettext_("All orders"), [(gettext_("Total"), _cells(found.total))]),
    ]
    query = urlencode({k: v for k, v in form.values.items() if k in ("from", "to", "area")})
    return render(request, "orders/figures.html", {
        **data, "form": form, "values": form.values, "tables": tables, "headers": _headers(),
        "csv_link": f"/orders/figures?{query}&format=csv" if query else
        "/orders/figures?format=csv"}, 400 if form.errors else 200)


def _csv(found: figures.Figures) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext_("Table"), gettext_("Row"), *_headers()])
    for name, rows in (("area", found.areas), ("level", found.levels),
                       ("body", found.bodies), ("total", [found.total])):
        for row in rows:
            writer.writerow([name, row.label, *_cells(row)])
    return Response(out.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="order-figures.csv"'})


ROUTES = [
    Route("/orders/figures", order_figures, name="order_figures"),
    Route("/admin/dispatch-rules", step_rules, methods=["GET", "POST"], name="dispatch_rules"),
]
