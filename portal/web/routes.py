"""The route table: each view module lists its own routes in ``ROUTES``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from portal.config import PROJECT_ROOT, Settings
from portal.web.api import orders as api_orders
from portal.web.api import views as api
from portal.web.api import workflow as api_workflow
from portal.web.views import (
    account,
    admin,
    auth,
    bodies,
    cases,
    dispatch_admin,
    filing_admin,
    filing_api,
    home,
    photos,
)
from portal.web.views import agreements as agreement_views
from portal.web.views import alert_rules as alert_rule_views
from portal.web.views import alerts as alert_views
from portal.web.views import analytics as analytics_views
from portal.web.views import apply as apply_views
from portal.web.views import assignment as assignment_views
from portal.web.views import casefile as casefile_views
from portal.web.views import deadlines as deadline_views
from portal.web.views import evidence as evidence_views
from portal.web.views import filing as filing_views
from portal.web.views import health as health_views
from portal.web.views import minutes as minutes_views
from portal.web.views import orders as order_views
from portal.web.views import report as report_views
from portal.web.views import respond as respond_views
from portal.web.views import review as review_views
from portal.web.views import room as room_views
from portal.web.views import room_live as room_live_views
from portal.web.views import sessions as session_views
from portal.web.views import signing as signing_views
from portal.web.views import verify as verify_views

VIEW_MODULES = [home, auth, cases, account, admin, api, api_workflow, bodies, photos,
               evidence_views, apply_views, review_views, respond_views, assignment_views,
               deadline_views, api_orders, report_views, dispatch_admin, order_views, health_views,
               session_views, room_views, room_live_views, casefile_views,
               agreement_views, signing_views, minutes_views, verify_views,
               analytics_views, filing_views, filing_admin, filing_api, alert_views,
               alert_rule_views]


def routes(settings: Settings) -> list[BaseRoute]:
    table: list[BaseRoute] = []
    for module in VIEW_MODULES:
        table.extend(module.ROUTES)
    vendor = settings.static_vendor_dir
    table += [
        Mount("/static/vendor/bootstrap",
              StaticFiles(directory=vendor / "bootstrap" / "dist", check_dir=False),
              name="bootstrap"),
        Mount("/static/vendor/signature_pad",
              StaticFiles(directory=vendor / "signature_pad" / "dist", check_dir=False),
              name="signature_pad"),
        Mount("/static/vendor/echarts",
              StaticFiles(directory=vendor / "echarts" / "dist", check_dir=False),
              name="echarts"),
        Mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static"),
    ]
    return table
