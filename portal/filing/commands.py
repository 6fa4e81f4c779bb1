"""What ``odr court build`` and ``odr court verify`` do (portal.cli only parses arguments)."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from court_export.keys import load_public_keys
from court_export.package import BuiltPackage, VerifiedPackage, build_package, verify_package
from portal.casefile.labels import local_date
from portal.casefile.mapping import last_event
from portal.cases.models import Case
from portal.cases.states import Status
from portal.config import Settings, get_settings
from portal.db import session_scope
from portal.filing import confirmation, courts
from portal.filing import package as packages
from portal.filing.models import FilingKind
from portal.storage import get_storage


class CommandError(Exception):
    """A reason the command cannot run, for its user."""


@dataclass(frozen=True)
class Built:
    package: BuiltPackage
    kind: FilingKind
    court: courts.Court


def kind_of(case: Case) -> FilingKind:
    """A case whose agreement took effect goes for confirmation; a failed one, to litigation."""
    if last_event(case, to=Status.AGREEMENT_IN_EFFECT) is not None:
        return FilingKind.CONFIRMATION
    if last_event(case, to=Status.MEDIATION_FAILED) is not None:
        return FilingKind.LITIGATION
    raise CommandError(f"case {case.number} has neither an agreement in effect nor a failed "
                       "mediation: there is nothing to file")


def build(number: str, output: Path | None, court_id: str | None = None,
          settings: Settings | None = None) -> Built:
    """The case's package as it would be filed now, under a new package id."""
    settings = settings or get_settings()
    registry = courts.load(settings)
    court = registry.get(court_id) if court_id else registry.courts[0]
    if court is None:
        raise CommandError(f"no court {court_id!r}; configured: "
                           f"{', '.join(c.id for c in registry.courts)}")
    package_id = str(uuid.uuid4())
    with session_scope() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one_or_none()
        if case is None:
            raise CommandError(f"no case {number}")
        kind = kind_of(case)
        due = confirmation.due_at(session, case) if kind is FilingKind.CONFIRMATION else None
        contents = packages.collect(session, case, kind=kind, court=court,
                                    platform=registry.platform, package_id=package_id,
                                    confirmation_due=local_date(due))
    out = output or Path(f"{number}-{package_id}.zip")
    storage = get_storage(settings)
    with tempfile.TemporaryDirectory(prefix="odr-court-build-") as tmp:
        inp = packages.package_input(contents, storage, Path(tmp))
        built = build_package(inp, out, courts.platform_key(settings))
    return Built(built, kind, court)


def verify(path: Path, key_dir: Path | None = None,
           settings: Settings | None = None) -> VerifiedPackage:
    """Every check a court makes; raises court_export's PackageRejected on the first fault."""
    settings = settings or get_settings()
    keys = load_public_keys(key_dir or courts.platform_key_dir(settings))
    return verify_package(path, keys)
