"""The route table: each view module lists its own routes in ``ROUTES``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from portal.config import PROJECT_ROOT, Settings
from portal.web.api import views as api
from portal.web.views import account, admin, auth, bodies, cases, home

VIEW_MODULES = [home, auth, cases, account, admin, api, bodies]


def routes(settings: Settings) -> list[BaseRoute]:
    table: list[BaseRoute] = []
    for module in VIEW_MODULES:
        table.extend(module.ROUTES)
    vendor = settings.static_vendor_dir
    table += [
        Mount("/static/vendor/bootstrap",
              StaticFiles(directory=vendor / "bootstrap" / "dist", check_dir=False),
              name="bootstrap"),
        Mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static"),
    ]
    return table
