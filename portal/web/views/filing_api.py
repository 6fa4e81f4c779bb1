"""The court's callback: ``POST /api/v1/court/callbacks`` with ``{"notice": "<JWS>"}``.

No login: the court is no portal user. The notice's signature (the court's key, by key id)
is the authentication; a notice seen before is a replay. Answers are JSON
``{"error": code, "detail": sentence}`` for the court's system, not the portal's visitors,
so they are machine codes and English, and the route is outside the portal's OpenAPI.
"""

from __future__ import annotations

import json

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal.cases.states import IllegalTransition
from portal.filing import decisions
from portal.web.deps import in_db
from portal.web.security import public

# A notice is a compact JWS of a few hundred bytes; the portal's body limit applies too.
MAX_TOKEN = 16 * 1024


def problem(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status)


@public
async def court_callback(request: Request) -> Response:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return problem(400, "bad_request", 'Send JSON: {"notice": "<compact JWS>"}.')
    token = body.get("notice") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        return problem(400, "bad_request", 'The body needs "notice": the signed notice as a '
                                           "compact JWS string.")

    def work(session: Session) -> tuple[str, bool]:
        filing, changed = decisions.apply_token(session, token)
        return filing.package_id, changed

    try:
        package_id, changed = await in_db(work)
    except decisions.NoticeError as exc:
        return problem(exc.status, exc.code, exc.detail)
    except IntegrityError:
        # The same notice arrived twice at once; the other copy was applied.
        return problem(409, "replayed", "This notice was already received.")
    except IllegalTransition as exc:
        return problem(409, "conflict", f"the case cannot take this decision now "
                                        f"(it is '{exc.status.value}')")
    return JSONResponse({"status": "applied" if changed else "unchanged",
                         "package_id": package_id})


ROUTES = [
    Route("/api/v1/court/callbacks", court_callback, methods=["POST"], name="court_callback"),
]
