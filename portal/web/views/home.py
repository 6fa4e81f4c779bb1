from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.web.deps import current_user
from portal.web.security import public
from portal.web.templating import render


@public
async def home(request: Request) -> Response:
    return render(request, "home.html", {"user": current_user(request)})


ROUTES = [
    Route("/", home, name="home"),
]
