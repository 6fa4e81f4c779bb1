"""Cookies of a request, parsed once: the locale, login and flash middlewares all ask."""

from __future__ import annotations

from starlette.requests import cookie_parser
from starlette.types import Scope

_PARSED_COOKIES = "odr.cookies"


def request_cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies, parsed once per request (several middlewares ask)."""
    parsed: dict[str, str] | None = scope.get(_PARSED_COOKIES)
    if parsed is None:
        # Browsers send one header; HTTP/2 clients may split it into several.
        header = "; ".join(value.decode("latin-1") for key, value in scope.get("headers", [])
                           if key == b"cookie")
        # Starlette's parser, as Request.cookies uses: lenient like browsers, and several
        # times faster than http.cookies, which this once was.
        parsed = scope[_PARSED_COOKIES] = cookie_parser(header) if header else {}
    return parsed
