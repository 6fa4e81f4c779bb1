"""The embedded default's court: the reference receiver (court_export.receiver) served by
this process under ``/court``, so a filing goes somewhere out of the box.

It sits beside the portal, not inside it: the receiver is the court's own application,
with its own clerk sessions and CSRF tokens, so the portal's login, sessions and CSRF
check must not see its requests (portal.web.app puts the portal's hardening around both).
The portal still reaches it only over HTTP, as it would reach a real court.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from court_export.receiver.app import create_app, receiver_lifespan
from court_export.receiver.config import PlatformConfig, ReceiverConfig
from portal.accounts.passwords import hash_password
from portal.config import ConfigurationError, Settings
from portal.filing import courts

log = logging.getLogger(__name__)

# Development and tests only (never in production): the demo court clerk.
DEMO_CLERK = "clerk"


@lru_cache(maxsize=4)
def _demo_clerks(password: str) -> dict[str, str]:
    return {DEMO_CLERK: hash_password(password)}


def embedded_config(settings: Settings) -> ReceiverConfig:
    """The court of the embedded default, trusting this portal's package key and calling it
    back; COURT_* variables (clerks, docket formats) still apply."""
    from portal.demo import DEMO_PASSWORD

    registry = courts.load(settings)
    court = registry.courts[0]
    base = ReceiverConfig.from_env()
    clerks = dict(base.clerks) or ({} if settings.production else _demo_clerks(DEMO_PASSWORD))
    platform = PlatformConfig(name=registry.platform.name,
                              public_key_dir=courts.platform_key_dir(settings),
                              callback_url=courts.callback_url(settings))
    directory = courts.embedded_dir(settings)
    return dataclasses.replace(
        base, court_id=court.id, court_name=court.name, var_dir=directory,
        key_dir=directory / "keys",
        key_passphrase=settings.resolved_pki_passphrase().encode(),
        platforms={registry.platform.id: platform}, clerks=clerks,
        cookie_secure=settings.cookie_secure)


def embedded_receiver(settings: Settings) -> Starlette | None:
    """The receiver to serve at /court, or None when courts are configured (ODR_COURTS_FILE)."""
    if not courts.load(settings).embedded:
        return None
    try:
        config = embedded_config(settings)
    except ConfigurationError as exc:
        # Production without a PKI passphrase: `odr serve` refuses to start anyway, and an
        # application built for something else (a check, a test) needs no court.
        log.error("the embedded court is not served: %s", exc)
        return None
    return create_app(config)


@asynccontextmanager
async def running(receiver: Starlette | None) -> AsyncIterator[None]:
    """The receiver's own lifespan (its callback loop): a mounted app's does not run alone."""
    if receiver is None:
        yield
        return
    async with receiver_lifespan(receiver):
        yield


class CourtMount:
    """Requests under the prefix go to the court's receiver, all others to the portal."""

    def __init__(self, portal: ASGIApp, court: ASGIApp,
                 prefix: str = courts.EMBEDDED_PREFIX) -> None:
        self._portal = portal
        self._court = court
        self._prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and (
                path == self._prefix or path.startswith(self._prefix + "/")):
            # As Starlette's Mount does, the full path stays and root_path names the mount;
            # the receiver is an application of its own (its url_for knows only its own
            # routes), so its app_root_path names the mount too.
            root = scope.get("root_path", "") + self._prefix
            await self._court({**scope, "app_root_path": root, "root_path": root},
                              receive, send)
            return
        await self._portal(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # our own, not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self._portal, name)


def mount(portal: ASGIApp, receiver: Starlette | None) -> ASGIApp:
    return portal if receiver is None else CourtMount(portal, receiver)
