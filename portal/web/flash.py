"""One-shot messages carried across a redirect in the signed session cookie."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

Level = Literal["success", "info", "warning", "danger"]


def flash(request: Request, message: str, level: Level = "success") -> None:
    """``message`` is a translated string."""
    # Reassigned, not appended in place: the session only saves changes it can see.
    request.session["_flashes"] = [*request.session.get("_flashes", []), [level, message]]


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    if "session" not in request.scope:
        return []
    return [(lvl, msg) for lvl, msg in request.session.pop("_flashes", [])]
