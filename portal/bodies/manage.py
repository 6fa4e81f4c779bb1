"""Managing bodies and mediator profiles: who may, what is valid, and the audit trail.

System administrators create, edit and (de)activate any body. A body administrator edits
the public description of their own body only (not its name, kind, level, area or whether
it is active), and the profiles of their body's mediators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit import services as audit
from portal.bodies.models import Area, BodyKind, Level, MediationBody, MediatorProfile
from portal.cases.disputes import DISPUTE_TYPES
from portal.i18n import N_

BODY_LEVELS = (Level.VILLAGE, Level.TOWN, Level.CITY)
# Fields only a system administrator may change.
ADMIN_ONLY = ("name", "kind", "level", "area_id")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,28}[0-9]$")
TAG_SPLIT = re.compile(r"[,，、;；\n]+")
MAX_TAGS, MAX_TAG_LENGTH, MAX_YEARS = 10, 30, 60


class PermissionDenied(Exception):
    pass


class Invalid(ValueError):
    """Input errors by field; each message is a gettext msgid."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class BodyData:
    """A body as typed into the form (strings), checked by ``save_body``."""

    name: str = ""
    kind: str = ""
    level: str = ""
    area_id: str = ""
    address: str = ""
    phone: str = ""
    working_hours: str = ""
    specialties: str = ""
    description: str = ""
    dispute_types: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, body: MediationBody) -> BodyData:
        return cls(name=body.name, kind=body.kind.value, level=body.level.value,
                   area_id=str(body.area_id), address=body.address, phone=body.phone,
                   working_hours=body.working_hours, specialties=body.specialties,
                   description=body.description, dispute_types=list(body.dispute_types or []))


def can_edit_body(actor: User, body: MediationBody) -> bool:
    if actor.role is Role.ADMIN:
        return True
    return actor.role is Role.BODY_ADMIN and actor.body_id is not None and (
        actor.body_id == body.id)


def can_edit_mediator(actor: User, mediator: User) -> bool:
    if mediator.role is not Role.MEDIATOR:
        return False
    if actor.role is Role.ADMIN:
        return True
    return actor.role is Role.BODY_ADMIN and actor.body_id is not None and (
        actor.body_id == mediator.body_id)


# One msgid per limit, so translators see whole sentences.
TOO_LONG = {100: N_("Use at most 100 characters."), 200: N_("Use at most 200 characters."),
            300: N_("Use at most 300 characters."), 2000: N_("Use at most 2000 characters."),
            5000: N_("Use at most 5000 characters.")}


def _length(errors: dict[str, str], name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.setdefault(name, TOO_LONG[limit])


def _check_body(session: Session, data: BodyData, body_id: int | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not 2 <= len(name) <= 200:
        errors["name"] = N_("Enter a name of 2 to 200 characters.")
    elif session.execute(select(MediationBody.id).where(
            func.lower(MediationBody.name) == name.lower(),
            MediationBody.id != (body_id or 0))).first():
        errors["name"] = N_("Another mediation body already has this name.")
    if data.kind not in set(BodyKind):
        errors["kind"] = N_("Choose a kind of body from the list.")
    level_ok = data.level in {lv.value for lv in BODY_LEVELS}
    if not level_ok:
        errors["level"] = N_("Choose a level from the list.")
    area = session.get(Area, int(data.area_id)) if data.area_id.isdigit() else None
    if area is None:
        errors["area_id"] = N_("Choose the area the body serves.")
    elif level_ok and area.level is not Level(data.level):
        errors["area_id"] = N_("Choose an area at the body's level: a village body serves a "
                             "village or community, a town body a town or street, a city "
                                "body the city.")
    phone = data.phone.strip()
    if phone and not PHONE.match(phone):
        errors["phone"] = N_("Enter a phone number of digits, for example 0575-87654321.")
    for name_, limit in (("address", 300), ("working_hours", 200), ("specialties", 300),
                         ("description", 5000)):
        _length(errors, name_, getattr(data, name_).strip(), limit)
    types = list(dict.fromkeys(data.dispute_types))
    if not types:
        errors["dispute_types"] = N_("Tick at least one type of dispute the body accepts.")
    elif any(t not in DISPUTE_TYPES for t in types):
        errors["dispute_types"] = N_("Choose dispute types from the list.")
    if errors:
        raise Invalid(errors)
    assert area is not None
    return {"name": name, "kind": BodyKind(data.kind), "level": Level(data.level),
            "area_id": area.id, "address": data.address.strip(), "phone": phone,
            "working_hours": data.working_hours.strip(),
            "specialties": data.specialties.strip(), "description": data.description.strip(),
            "dispute_types": [t for t in DISPUTE_TYPES if t in types]}


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Level | BodyKind) else value


def _apply(target: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for key, new in values.items():
        old = getattr(target, key)
        if old != new:
            changes[key] = [_plain(old), _plain(new)]
            setattr(target, key, new)
    return changes


def save_body(session: Session, *, actor: User, body: MediationBody | None,
              data: BodyData) -> MediationBody:
    """Create (``body`` None, administrators only) or update a body; raises ``Invalid``."""
    if body is None and actor.role is not Role.ADMIN:
        raise PermissionDenied
    if body is not None and not can_edit_body(actor, body):
        raise PermissionDenied
    if body is not None and actor.role is not Role.ADMIN:
        kept = BodyData.of(body)
        data = replace(data, **{name: getattr(kept, name) for name in ADMIN_ONLY})
    values = _check_body(session, data, body.id if body else None)
    if body is None:
        body = MediationBody(**values)
        session.add(body)
        session.flush()
        audit.append(session, kind="admin", action="body.created", subject=f"body:{body.id}",
                     actor_id=actor.id,
                     data={k: _plain(v) for k, v in values.items() if k != "description"})
        return body
    changes = _apply(body, values)
    if changes:
        session.flush()
        audit.append(session, kind="admin", action="body.updated", subject=f"body:{body.id}",
                     actor_id=actor.id, data=changes)
    return body


def set_body_active(session: Session, *, actor: User, body: MediationBody,
                    active: bool) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied
    if body.is_active == active:
        return
    body.is_active = active
    audit.append(session, kind="admin", action="body.activated" if active else "body.deactivated",
                 subject=f"body:{body.id}", actor_id=actor.id)


@dataclass(frozen=True)
class ProfileData:
    specialties: str = ""
    languages: str = ""
    years: str = ""
    charges: bool = False
    bio: str = ""
    accepting_cases: bool = True

    @classmethod
    def of(cls, profile: MediatorProfile | None) -> ProfileData:
        if profile is None:
            return cls(languages="普通话", years="0")
        return cls(specialties="、".join(profile.specialties or []),
                   languages=profile.languages, years=str(profile.years),
                   charges=profile.charges, bio=profile.bio,
                   accepting_cases=profile.accepting_cases)


def split_tags(text: str) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in TAG_SPLIT.split(text) if t.strip()))


def _check_profile(data: ProfileData) -> dict[str, Any]:
    errors: dict[str, str] = {}
    tags = split_tags(data.specialties)
    if len(tags) > MAX_TAGS:
        errors["specialties"] = N_("List at most 10 specialties.")
    elif any(len(t) > MAX_TAG_LENGTH for t in tags):
        errors["specialties"] = N_("Keep each specialty to at most 30 characters.")
    languages = data.languages.strip()
    if not languages:
        errors["languages"] = N_("Enter the languages or dialects the mediator speaks.")
    _length(errors, "languages", languages, 100)
    years = data.years.strip()
    if not years.isdigit() or int(years) > MAX_YEARS:
        errors["years"] = N_("Enter the years of experience as a whole number from 0 to 60.")
    _length(errors, "bio", data.bio.strip(), 2000)
    if errors:
        raise Invalid(errors)
    return {"specialties": tags, "languages": languages, "years": int(years),
            "charges": data.charges, "bio": data.bio.strip(),
            "accepting_cases": data.accepting_cases}


def save_profile(session: Session, *, actor: User, mediator: User,
                 data: ProfileData) -> MediatorProfile:
    """Create or update a mediator's published profile; raises ``Invalid``."""
    if not can_edit_mediator(actor, mediator):
        raise PermissionDenied
    values = _check_profile(data)
    profile = session.get(MediatorProfile, mediator.id)
    if profile is None:
        profile = MediatorProfile(user_id=mediator.id, languages="", years=0, charges=False,
                                  bio="", specialties=[], accepting_cases=True)
        session.add(profile)
    changes = _apply(profile, values)
    session.flush()
    if changes:
        audit.append(session, kind="admin", action="mediator_profile.updated",
                     subject=f"user:{mediator.id}", actor_id=actor.id, data=changes)
    return profile
