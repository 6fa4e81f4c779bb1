"""The SpecTree instance: validates requests and responses and generates the OpenAPI
document from the pydantic schemas (never written by hand)."""

from __future__ import annotations

import json
from json import JSONDecodeError
from typing import Any

from spectree import SecurityScheme, SpecTree
from spectree.config import ModeEnum
from spectree.models import SecureType, SecuritySchemeData
from spectree.plugins.starlette_plugin import StarlettePlugin
from starlette.requests import Request
from starlette.responses import Response

from portal.i18n import gettext_


def _friendly_validation_error(req: Request, resp: Response | None, err: Any,
                               instance: Any, adapter: Any = None) -> None:
    """Rewrite spectree's raw pydantic error list into the API's error shape."""
    if err is None or resp is None:
        return
    fields: dict[str, str] = {}
    for item in err.errors():
        loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
        fields.setdefault(loc, str(item.get("msg", "")))
    body = json.dumps({"error": gettext_("Some fields are missing or invalid."),
                       "fields": fields}, ensure_ascii=False).encode()
    resp.body = body
    resp.headers["content-length"] = str(len(body))


class _Plugin(StarlettePlugin):
    """spectree answers 400 to a body that is not JSON, but a 500 to one that is not UTF-8."""

    async def request_validation(self, request: Request, *args: Any) -> None:
        try:
            await super().request_validation(request, *args)  # type: ignore[no-untyped-call]
        except UnicodeDecodeError as exc:
            raise JSONDecodeError(f"the body is not UTF-8: {exc.reason}", "", 0) from exc


spec = SpecTree(
    "starlette",
    backend=_Plugin,
    title="Fengqiao ODR API",
    version="1.0",
    # spectree leaves out routes under its own prefix; the document itself is served by
    # our route at /api/v1/openapi.json.
    path="api/v1/spec",
    mode=ModeEnum.strict,
    page_templates={},
    annotations=False,
    validation_error_status=400,
    before=_friendly_validation_error,
    security_schemes=[
        SecurityScheme(name="bearer", data=SecuritySchemeData(
            type=SecureType.HTTP, scheme="bearer", bearer_format="JWT")),
    ],
    security={"bearer": []},
)
