"""Deadlines on the case page and its timeline; the holiday calendar's admin page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.validation import InvalidField
from portal.cases.models import Case
from portal.cases.states import LABELS as STATUS_LABELS
from portal.cases.states import TRIGGER_LABELS
from portal.db.types import utcnow
from portal.deadlines import holidays
from portal.deadlines import services as deadlines
from portal.deadlines.calendar import WorkCalendar, local_date
from portal.deadlines.models import Deadline
from portal.i18n import N_, gettext_, ngettext_, translate
from portal.web import panels
from portal.web.deps import in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, echo, read_form
from portal.web.security import requires, user_of
from portal.web.templating import render

OUTCOMES = {deadlines.MET: N_("met"), deadlines.EXPIRED: N_("expired"),
            deadlines.CANCELLED: N_("no longer needed")}


def time_left(cal: WorkCalendar, deadline: Deadline, now: dt.datetime) -> str:
    if now >= deadline.due_at:
        return gettext_("Overdue")
    if local_date(now) == local_date(deadline.due_at):
        return gettext_("Due today")
    rule = deadlines.RULES[deadline.kind]
    if rule.working_days:
        n = cal.working_days_left(now, deadline.due_at)
        return ngettext_("%(num)s working day left", "%(num)s working days left", n) % {
            "num": n}
    n = (local_date(deadline.due_at) - local_date(now)).days
    return ngettext_("%(num)s day left", "%(num)s days left", n) % {"num": n}


def _deadline_panel(session: Session, case: Case, user: User) -> dict[str, Any] | None:
    running = deadlines.open_deadlines(session, case.id)
    if not running:
        return None
    cal, now = deadlines.calendar(session), utcnow()
    return {"panel": "deadlines", "rows": [
        {"label": gettext_(deadlines.RULES[d.kind].label), "due": d.due_at,
         "left": time_left(cal, d, now), "overdue": now >= d.due_at} for d in running]}


def _timeline_panel(session: Session, case: Case, user: User) -> dict[str, Any]:
    # (time, order at equal times, entry): a deadline set by an event follows it.
    entries: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    for event in case.events:
        entries.append((event.created_at, 0, {
            "title": f"{gettext_(TRIGGER_LABELS[event.trigger])} → "
                     f"{gettext_(STATUS_LABELS[event.to_status])}",
            "at": event.created_at, "reason": event.reason,
            # The court acts through its signed notices (portal.filing), not an account.
            "who": event.actor.name if event.actor else (
                case.court_name or gettext_("Court") if event.actor_role == "court"
                else gettext_("System"))}))
    for d in deadlines.deadlines_of(session, case.id):
        label = gettext_(deadlines.RULES[d.kind].label)
        entries.append((d.created_at, 2, {
            "title": translate("Time limit: {what}", what=label), "at": d.created_at,
            "due": d.due_at, "deadline": True}))
        if d.closed_at is not None:
            entries.append((d.closed_at, 1, {
                "title": translate("Time limit {outcome}: {what}", what=label,
                                   outcome=gettext_(OUTCOMES.get(d.outcome or "", N_("closed")))),
                "at": d.closed_at, "deadline": True}))
    entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
    return {"panel": "timeline", "entries": [e for _, _, e in entries],
            "created": case.created_at, "has_events": bool(case.events)}


panels.register(panels.Panel(name="deadlines", template="review/_deadlines.html", order=10,
                             column="side", collect=_deadline_panel))
panels.register(panels.Panel(name="timeline", template="review/_timeline.html", order=90,
                             column="main", collect=_timeline_panel))


def _year(request: Request) -> int:
    raw = request.query_params.get("year", "")
    year = int(raw) if raw.isdigit() else local_date(utcnow()).year
    return min(max(year, 2000), 2100)


async def _page(request: Request, form: Form, status: int = 200,
                year: int | None = None) -> Response:
    year = year or _year(request)

    def work(session: Session) -> dict[str, Any]:
        return {"rows": holidays.holidays_in(session, year), "years": holidays.years(session)}

    found = await in_db(work)
    years = sorted({*found["years"], year, local_date(utcnow()).year})
    return render(request, "review/holidays.html", {
        **found, "year": year, "year_options": years, "form": form, "values": echo(form),
    }, status)


@requires(Role.ADMIN)
async def holiday_list(request: Request) -> Response:
    if request.method == "GET":
        return await _page(request, Form())
    current = user_of(request)
    form = await read_form(request)
    form.require("day", "name")
    if not form.ok:
        return await _page(request, form, 400)

    def work(session: Session) -> dt.date:
        return holidays.add_holiday(session, actor=load_user(session, current),
                                    day=form.get("day"), name=form.get("name"),
                                    is_workday=form.get("is_workday") == "yes").day

    try:
        day = await in_db(work)
    except InvalidField as exc:
        form.error(exc.field, exc.message)
        return await _page(request, form, 400)
    except holidays.PermissionDenied:
        raise HTTPException(403) from None
    flash(request, translate("{day} was added to the calendar.", day=day.isoformat()))
    return RedirectResponse(f"/admin/holidays?year={day.year}", status_code=303)


@requires(Role.ADMIN)
async def holiday_delete(request: Request) -> Response:
    current = user_of(request)
    form = await read_form(request)
    raw = form.get("holiday_id")
    if not raw.isdigit():
        raise HTTPException(400, gettext_("Choose a day from the list."))

    def work(session: Session) -> dt.date | None:
        row = holidays.delete_holiday(session, actor=load_user(session, current),
                                      holiday_id=int(raw))
        return row.day if row else None

    try:
        day = await in_db(work)
    except holidays.PermissionDenied:
        raise HTTPException(403) from None
    if day is None:
        raise HTTPException(404)
    flash(request, translate("{day} was removed from the calendar.", day=day.isoformat()))
    return RedirectResponse(f"/admin/holidays?year={day.year}", status_code=303)


ROUTES = [
    Route("/admin/holidays", holiday_list, methods=["GET", "POST"], name="admin_holidays"),
    Route("/admin/holidays/delete", holiday_delete, methods=["POST"],
          name="admin_holiday_delete"),
]
