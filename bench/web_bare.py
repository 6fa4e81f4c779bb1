"""The baseline of bench/web.py: a bare Starlette endpoint returning a small HTML page,
served the same way as the portal (uvicorn, one worker)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

PAGE = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>案件</title>"
        "</head><body><h1>案件列表</h1><ul>"
        + "".join(f"<li><a href=\"/cases/FQ-2026-{n:06d}\">纠纷 {n}</a></li>" for n in range(10))
        + "</ul></body></html>")


async def page(request: Request) -> Response:
    return HTMLResponse(PAGE)


app = Starlette(routes=[Route("/", page)])
