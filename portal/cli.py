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
    if loaded:
        from portal.analytics import aggregates

        # The dashboard's figures now, not at the scheduler's first run minutes later.
        with session_scope() as session:
            aggregates.refresh(session)
    click.echo("demo data loaded" if loaded else "demo data already present")
    click.echo(f"demo users (password: {demo_data.DEMO_PASSWORD}):")
    for user in demo_data.DEMO_USERS:
        click.echo(f"  {user.phone}  {user.role.value:<12} {user.name}")


@demo.command("generate")
@click.option("--cases", "count", required=True, type=click.IntRange(1, 10_000_000),
              help="How many disputes to add.")
@click.option("--seed", default=2026, show_default=True, help="Random seed.")
@click.option("--rebuild-indexes", is_flag=True,
              help="PostgreSQL: build the tables' indexes once after the load (faster for "
                   "a large COUNT; the tables are locked until it ends).")
def demo_generate(count: int, seed: int, rebuild_indexes: bool) -> None:
    """Add COUNT generated disputes over the last two years, then recount the dashboard."""
    import time

    from portal.analytics import aggregates, generate, scan
    from portal.db import session_scope

    with session_scope() as session:
        result = generate.generate(session, cases=count, seed=seed, progress=click.echo,
                                   rebuild_indexes=rebuild_indexes)
    rows = ", ".join(f"{n:,} {table}" for table, n in result.rows.items())
    click.echo(f"{result.cases:,} disputes generated in {result.seconds:.1f} s ({rows})")
    started = time.monotonic()
    with session_scope() as session:
        done = aggregates.refresh(session, full=True)
    click.echo(f"dashboard figures recounted: {done.days} days in "
               f"{time.monotonic() - started:.1f} s")
    # Backdated rows are invisible to the alert scan's change feed: read everything again.
    with session_scope() as session:
        scan.restart(session)
    click.echo("the early-warning scan reads the whole history again from its next run "
               "(beat, or `odr alerts scan`)")


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


@main.group()
def alerts() -> None:
    """Early warning."""


@alerts.command("scan")
@click.option("--restart", is_flag=True,
              help="Read the whole history again (after loading backdated cases).")
def alerts_scan(restart: bool) -> None:
    """Check the early-warning rules on everything received or changed since the last scan,
    until caught up (beat does this every 5 minutes)."""
    from portal.analytics import scan
    from portal.db import session_scope

    if restart:
        with session_scope() as session:
            scan.restart(session)
    total = scan.ScanResult()
    while True:
        with session_scope() as session:
            result = scan.scan(session)
        total.cases, total.opened = total.cases + result.cases, total.opened + result.opened
        total.updated += result.updated
        if not result.more:
            break
    click.echo(f"{total.cases} cases checked, {total.opened} alerts opened, "
               f"{total.updated} brought up to date")


@main.group()
def documents() -> None:
    """Signed papers."""


@documents.command("verify")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, readable=True))
def documents_verify(pdf: str) -> None:
    """Check every signature of PDF and whether the portal recorded the file.

    Exits 0 when every signature is intact and trusted and the file is in the audit chain.
    """
    from pathlib import Path

    from portal.agreements.pki import get_ca
    from portal.agreements.verification import describe, verify
    from portal.db import session_scope

    with session_scope() as session:
        result = verify(session, Path(pdf).read_bytes(), get_ca())
    for line in describe(result):
        click.echo(line)
    if not (result.report.ok and result.audit is not None):
        sys.exit(1)


@main.group()
def court() -> None:
    """Court packages (court_export): build one for a case, verify one."""


@court.command("build")
@click.argument("number")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Where to write the ZIP (default: NUMBER-PACKAGE_ID.zip here).")
@click.option("--court", "court_id", default=None, help="A configured court's id.")
def court_build(number: str, output: str | None, court_id: str | None) -> None:
    """Build the signed package of case NUMBER as it would be filed now."""
    from pathlib import Path

    from court_export.package import PackageRejected
    from portal.filing import commands

    try:
        built = commands.build(number, Path(output) if output else None, court_id)
    except (commands.CommandError, PackageRejected) as exc:
        raise click.ClickException(str(exc)) from exc
    package = built.package
    click.echo(f"{package.path}: {built.kind.value} package {package.package_id} for "
               f"{built.court.name}, {len(package.members)} members, {package.size} bytes, "
               f"sha256 {package.sha256}")


@court.command("verify")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--keys", "key_dir", type=click.Path(exists=True, file_okay=False),
              default=None, help="Public keys (<kid>.pub.pem); default: the portal's own.")
def court_verify(package: str, key_dir: str | None) -> None:
    """Check PACKAGE as a court would: checksums, signature, schema, members.

    Exits 0 when the package is intact and signed by a known key, 1 otherwise.
    """
    from pathlib import Path

    from court_export.package import PackageRejected
    from portal.filing import commands

    try:
        verified = commands.verify(Path(package), Path(key_dir) if key_dir else None)
    except PackageRejected as exc:
        click.echo(f"package REJECTED: {exc.code}: {exc.detail}", err=True)
        sys.exit(1)
    case = verified.case
    click.echo(f"package OK: {verified.package_id}, signed by key {verified.kid}, "
               f"{case['filing_type']} of case {case['case']['number']} to "
               f"{case['court']['name']}, {len(verified.members)} members")


@main.group()
def backup() -> None:
    """Backups of the database and the stored files (portal.backup)."""


@backup.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_create(path: str) -> None:
    """Write the database and the file storage to PATH (a .tar.gz)."""
    from pathlib import Path

    from portal import backup as backups

    try:
        manifest = backups.create(Path(path), get_settings())
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {path}: {manifest.database} database, "
               f"{len(manifest.files)} files")


@backup.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database and storage that hold data.")
def backup_restore(path: str, force: bool) -> None:
    """Restore PATH into an empty database and file storage."""
    from pathlib import Path

    from portal import backup as backups

    try:
        manifest = backups.restore(Path(path), get_settings(), force=force)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored the {manifest.database} database and {len(manifest.files)} files "
               f"from the backup of {manifest.created_at}")


@main.command("check-config")
def check_config() -> None:
    """Validate the settings as the server would at start-up."""
    get_settings().resolved_secret_key()
    get_settings().resolved_pki_passphrase()
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
    settings.resolved_pki_passphrase()
    upgrade()
    if settings.demo_data and not settings.production:
        demo_load.callback()  # type: ignore[misc]
    mode = "eager (in-process)" if settings.eager else settings.broker_url
    click.echo(f"Celery: {mode}; database: {settings.database_url.split('@')[-1]}")
    click.echo(f"Open http://{host}:{port}/ and log in as one of the demo users above.")
    # Signaling messages are small; rtc refuses anything over 64 KiB anyway.
    uvicorn.run("portal.web.asgi:app", host=host, port=port, workers=workers,
                proxy_headers=True, log_level="info", ws_max_size=128 * 1024)


if __name__ == "__main__":
    main()
