"""The ``odr`` command."""

from __future__ import annotations

import sys

import click

from portal.config import get_settings


@click.group()
def main() -> None:
    """Fengqiao ODR administration."""


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from portal.db.migrate import upgrade

    upgrade()
    click.echo("database is up to date")


@db.command("check")
def db_check() -> None:
    """Fail if the models differ from the migrations."""
    from portal.db.migrate import check

    check()
    click.echo("models and migrations agree")


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
def demo_load() -> None:
    """Load the demo data once and print the demo users."""
    from portal import demo as demo_data
    from portal.db import session_scope

    with session_scope() as session:
        loaded = demo_data.load(session)
    click.echo("demo data loaded" if loaded else "demo data already present")
    click.echo(f"demo users (password: {demo_data.DEMO_PASSWORD}):")
    for user in demo_data.DEMO_USERS:
        click.echo(f"  {user.phone}  {user.role.value:<12} {user.name}")


@main.group()
def audit() -> None:
    """The audit chain."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the chain and report the first broken link."""
    from portal.audit.services import verify
    from portal.db import session_scope

    with session_scope() as session:
        result = verify(session)
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} entries")
        return
    where = f"entry {result.broken_id}" if result.broken_id else "the end of the chain"
    click.echo(f"audit chain BROKEN at {where}: {result.problem} "
               f"({result.checked} entries before it are intact)", err=True)
    sys.exit(1)


@main.group()
def deadlines() -> None:
    """Statutory deadlines."""


@deadlines.command("scan")
def deadlines_scan() -> None:
    """Handle every deadline that is due now (beat does this every 5 minutes)."""
    from portal.db import session_scope
    from portal.deadlines import expiry

    with session_scope() as session:
        handled = expiry.scan(session)
    click.echo(f"{handled} deadlines handled")


@main.group()
def dispatch() -> None:
    """The order loop."""


@dispatch.command("scan")
def dispatch_scan() -> None:
    """Remind, escalate or flag orders whose step is due (beat does this every 5 minutes)."""
    from portal.db import session_scope
    from portal.dispatch import tracking

    with session_scope() as session:
        result = tracking.scan(session)
    click.echo(f"{result.reminded} reminded, {result.escalated} escalated, "
               f"{result.flagged} flagged")


@main.command("check-config")
def check_config() -> None:
    """Validate the settings as the server would at start-up."""
    get_settings().resolved_secret_key()
    click.echo("configuration ok")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Migrate, load the demo data once (embedded default) and serve the portal."""
    import uvicorn

    from portal.db.migrate import upgrade

    settings = get_settings()
    settings.resolved_secret_key()  # fail now, with a clear message, not on first request
    upgrade()
    if settings.demo_data and not settings.production:
        demo_load.callback()  # type: ignore[misc]
    mode = "eager (in-process)" if settings.eager else settings.broker_url
    click.echo(f"Celery: {mode}; database: {settings.database_url.split('@')[-1]}")
    click.echo(f"Open http://{host}:{port}/ and log in as one of the demo users above.")
    uvicorn.run("portal.web.asgi:app", host=host, port=port, workers=workers,
                proxy_headers=True, log_level="info")


if __name__ == "__main__":
    main()
