"""Jinja2 environment with gettext bound to the request's locale."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import jinja2
from babel import Locale
from babel.dates import format_datetime, format_timedelta, get_timezone
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from portal import i18n
from portal.accounts.roles import ROLE_LABELS, Role
from portal.cases.models import PARTICIPANT_LABELS
from portal.cases.states import LABELS as STATUS_LABELS
from portal.cases.states import TRIGGER_LABELS
from portal.config import PROJECT_ROOT
from portal.web.deps import current_user
from portal.web.flash import pop_flashes

TEMPLATE_DIR = PROJECT_ROOT / "portal" / "web" / "templates"
LOCAL_TZ = "Asia/Shanghai"


_TZ = get_timezone(LOCAL_TZ)


@lru_cache(maxsize=len(i18n.LOCALES))
def _babel_locale(name: str) -> Locale:
    # Parsed once: babel parses a locale name again on every call (half of its time).
    return Locale.parse(name)


def _datetime(value: dt.datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, style, tzinfo=_TZ,
                           locale=_babel_locale(i18n.current_locale.get()))


def _csrf_token(request: Request) -> str:
    getter = request.scope.get("csrftoken")
    return str(getter()) if getter else ""


NAV: list[tuple[str, str, frozenset[Role]]] = [
    ("/cases", "Cases", frozenset(Role)),
    ("/notifications", "Notifications", frozenset(Role)),
    ("/bodies", "Mediation bodies", frozenset(Role)),
    ("/report", "Report a dispute", frozenset({Role.GRID_WORKER, Role.DISPATCHER})),
    ("/orders", "Work orders", frozenset({Role.DISPATCHER, Role.BODY_ADMIN, Role.GRID_WORKER,
                                          Role.ADMIN})),
    ("/orders/figures", "Dispatch figures", frozenset({Role.DISPATCHER, Role.ADMIN})),
    ("/analytics", "Analytics", frozenset({Role.DISPATCHER, Role.ADMIN})),
    ("/alerts", "Alerts", frozenset({Role.DISPATCHER, Role.BODY_ADMIN, Role.ADMIN})),
    ("/admin/users", "Users", frozenset({Role.ADMIN, Role.BODY_ADMIN})),
    ("/admin/bodies", "Manage bodies", frozenset({Role.ADMIN, Role.BODY_ADMIN})),
    ("/assignments", "Assignments", frozenset({Role.MEDIATOR})),
    ("/sessions", "Mediation sessions", frozenset({Role.MEDIATOR, Role.PARTY})),
    ("/admin/holidays", "Holidays", frozenset({Role.ADMIN})),
    ("/admin/dispatch-rules", "Step time limits", frozenset({Role.ADMIN})),
    ("/admin/alert-rules", "Early-warning rules", frozenset({Role.ADMIN})),
    ("/admin/audit", "Audit log", frozenset({Role.ADMIN})),
    ("/admin/filings", "Court filings", frozenset({Role.ADMIN})),
    ("/verify", "Verify a document", frozenset(Role)),
]
NAV_LABELS = [label for _, label, _ in NAV]
# Shown to visitors who are not logged in, too.
PUBLIC_NAV = frozenset({"/bodies", "/verify"})


def _nav(request: Request) -> list[tuple[str, str]]:
    user = current_user(request)
    if user is None:
        return [(href, label) for href, label, _ in NAV if href in PUBLIC_NAV]
    return [(href, label) for href, label, roles in NAV if user.role in roles]


env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=env)
env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext_, i18n.ngettext_, newstyle=True
)
env.globals.update(
    csrf_token=_csrf_token, nav=_nav, current_user=current_user,
    status_label=lambda s: i18n.gettext_(STATUS_LABELS[s]),
    trigger_label=lambda t: i18n.gettext_(TRIGGER_LABELS[t]),
    role_label=lambda r: i18n.gettext_(ROLE_LABELS[Role(r)]),
    participant_label=lambda r: i18n.gettext_(PARTICIPANT_LABELS[r]),
    locale_names=i18n.LOCALE_NAMES, current_locale=i18n.current_locale.get,
    translate=i18n.translate, urlquote=quote,
)
env.filters["datetime"] = _datetime


def _duration(seconds: float | None) -> str:
    """A span of time in words, rounded ("2 days", "5 hours") in the reader's language."""
    if seconds is None:
        return ""
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=2,
                            locale=_babel_locale(i18n.current_locale.get()))


env.filters["duration"] = _duration


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    ctx = {"flashes": pop_flashes(request), **(context or {})}
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
