from __future__ import annotations

from starlette.requests import Request

from portal.pagination import Page

__all__ = ["MAX_PAGE", "Page", "page_number"]

MAX_PAGE = 100_000


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return min(max(int(raw), 1), MAX_PAGE) if raw.isdigit() else 1
