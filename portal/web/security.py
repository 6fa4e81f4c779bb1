"""Access checks for views: login, role, and the 403/404 exceptions they raise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal.accounts.roles import Role
from portal.web.deps import CurrentUser, current_user

Endpoint = Callable[[Request], Awaitable[Response]]
ALL_ROLES = frozenset(Role)


def requires(*roles: Role) -> Callable[[Endpoint], Endpoint]:
    """Only logged-in users with one of ``roles`` (all roles when none are named).

    The allowed roles are kept on the endpoint, so the role × route test can read them.
    """
    allowed = frozenset(roles) or ALL_ROLES

    def decorator(fn: Endpoint) -> Endpoint:
        @wraps(fn)
        async def wrapper(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                if request.method in ("GET", "HEAD") and not request.url.path.startswith("/api/"):
                    target = quote(request.url.path + (f"?{request.url.query}"
                                                       if request.url.query else ""))
                    return RedirectResponse(f"/login?next={target}", status_code=303)
                raise HTTPException(401)
            if user.role not in allowed:
                raise HTTPException(403)
            return await fn(request)

        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorator


def public(fn: Endpoint) -> Endpoint:
    fn.allowed_roles = None  # type: ignore[attr-defined]
    return fn


def user_of(request: Request) -> CurrentUser:
    """The logged-in user of a view decorated with ``requires``."""
    user = current_user(request)
    if user is None:
        raise HTTPException(401)
    return user
