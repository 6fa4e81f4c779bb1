"""Jinja2 templates of the clerk pages (Simplified Chinese: the court's own reference UI)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from court_export.receiver.auth import CSRF_FIELD, csrf_token, current_clerk, pop_flashes

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATUS_LABELS = {"received": "待审查", "accepted": "已立案", "rejected": "不予受理"}
FILING_TYPES = {"litigation": "民事起诉", "judicial_confirmation": "司法确认申请"}
ROLE_LABELS = {"applicant": "申请人", "respondent": "被申请人", "plaintiff": "原告",
               "defendant": "被告", "agent": "代理人"}
CALLBACK_LABELS = {"pending": "待送达平台", "delivered": "已送达平台", "refused": "平台已拒收"}


def outer_csrf(request: Request) -> str | None:
    """The CSRF token of a host application's asgi-csrf, when the receiver is mounted in
    one (the portal's embedded default): its check runs before ours, on the same form."""
    getter = request.scope.get("csrftoken")
    return str(getter()) if callable(getter) else None


def make_templates(zone: ZoneInfo) -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATE_DIR)

    def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return moment.astimezone(zone).strftime(fmt) if moment else ""

    def iso_local(value: str | None) -> str:
        # case.json keeps ISO 8601 UTC strings; the clerk reads court time.
        if not value:
            return ""
        try:
            return local(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value

    templates.env.filters.update(local=local, iso_local=iso_local)
    templates.env.globals.update(
        csrf_token=csrf_token, outer_csrf=outer_csrf, CSRF_FIELD=CSRF_FIELD,
        STATUS_LABELS=STATUS_LABELS, FILING_TYPES=FILING_TYPES, ROLE_LABELS=ROLE_LABELS,
        CALLBACK_LABELS=CALLBACK_LABELS,
    )
    return templates


def render(request: Request, name: str, context: Mapping[str, Any] | None = None,
           status_code: int = 200) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    court = request.app.state.court
    full = {"clerk": current_clerk(request), "flashes": pop_flashes(request),
            "court_name": court.config.court_name, **(context or {})}
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
