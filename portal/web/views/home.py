from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal.web.deps import current_user
from portal.web.security import public
from portal.web.templating import render


@public
async def home(request: Request) -> Response:
    return render(request, "home.html", {"user": current_user(request)})


@public
async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


ROUTES = [
    Route("/", home, name="home"),
    Route("/healthz", healthz, name="healthz"),
]
