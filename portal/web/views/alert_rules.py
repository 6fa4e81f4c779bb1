"""The administrator's early-warning rules: on or off, level, thresholds (audited)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.accounts.roles import Role
from portal.analytics import rules
from portal.analytics.models import AlertLevel, AlertRule, RuleKey
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.services import MissingInput
from portal.i18n import N_, gettext_
from portal.web.deps import CurrentUser, in_db, load_user
from portal.web.flash import flash
from portal.web.forms import Form, read_form
from portal.web.security import requires, user_of
from portal.web.templating import render
from portal.web.views.alerts import LEVEL_CLASSES

DIGITS_MAX = 10


def _rows(session: Session) -> list[dict[str, Any]]:
    configs = rules.load(session)
    return [{"key": key.value, "label": gettext_(rule.label), "explain": gettext_(rule.explain),
             "config": configs[key], "custom": session.get(AlertRule, key) is not None,
             "params": [(p, configs[key][p.name]) for p in rule.params],
             "has_types": bool(rule.types)} for key, rule in rules.DEFAULTS.items()]


def _number(form: Form, name: str, low: int, high: int) -> int:
    raw = form.get(name).strip()
    if not raw.isdigit() or len(raw) > DIGITS_MAX:
        raise MissingInput(name, N_("Enter a whole number from {low} to {high}."),
                           low=str(low), high=str(high))
    return int(raw)


def _save(session: Session, form: Form, current: CurrentUser) -> None:
    raw = form.get("rule")
    if raw not in set(RuleKey):
        raise MissingInput("rule", N_("Choose a rule from the list."))
    rule = rules.DEFAULTS[RuleKey(raw)]
    level = form.get("level")
    if level not in set(AlertLevel):
        raise MissingInput("level", N_("Choose a level from the list."))
    values = {p.name: _number(form, p.name, p.low, p.high) for p in rule.params}
    types = [t for t in DISPUTE_TYPES if form.get(f"type-{t}") == "on"]
    rules.set_rule(session, rule=rule.key, enabled=form.get("enabled") == "on",
                   level=AlertLevel(level), values=values, types=types,
                   actor=load_user(session, current))


@requires(Role.ADMIN)
async def alert_rules(request: Request) -> Response:
    current = user_of(request)
    form = await read_form(request) if request.method == "POST" else Form()
    if request.method == "POST":
        try:
            await in_db(_save, form, current)
        except MissingInput as exc:
            form.error(exc.field, exc.message, **exc.params)
        else:
            flash(request, gettext_("The rule was saved. The scan applies it to what comes in "
                                    "from now on."))
            return RedirectResponse("/admin/alert-rules", status_code=303)
    return render(request, "analytics/alerts_rules.html", {
        "rows": await in_db(_rows), "form": form, "levels": list(AlertLevel),
        "level_label": lambda lv: gettext_(rules.LEVEL_LABELS[AlertLevel(lv)]),
        "level_class": lambda lv: LEVEL_CLASSES[AlertLevel(lv)],
        "dispute_types": DISPUTE_TYPES}, 400 if form.errors else 200)


ROUTES = [Route("/admin/alert-rules", alert_rules, methods=["GET", "POST"], name="alert_rules")]
