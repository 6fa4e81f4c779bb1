from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.audit import services as audit
from portal.audit.models import AuditEntry
from portal.bodies import manage
from portal.bodies.models import BodyKind, Level, MediationBody, MediatorProfile
from tests.factories import AreaFactory, BodyFactory, UserFactory


def _data(area_id: int, **kw: object) -> manage.BodyData:
    base: dict[str, object] = dict(
        name="枫桥镇劳动人事争议调解中心", kind="administrative", level="town",
        area_id=str(area_id), address="枫桥镇枫源路 1 号", phone="0575-87001234",
        working_hours="周一至周五 8:30-17:00", specialties="欠薪、工伤",
        description="劳动争议。", dispute_types=["labour"])
    base.update(kw)
    return manage.BodyData(**base)  # type: ignore[arg-type]


def _entries(db: Session) -> list[AuditEntry]:
    return list(db.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())


def test_admin_creates_a_body_and_it_is_audited(db: Session) -> None:
    admin = UserFactory(role=Role.ADMIN)
    town = AreaFactory(level=Level.TOWN)
    body = manage.save_body(db, actor=admin, body=None,
                            data=_data(town.id, dispute_types=["labour", "family", "labour"]))
    db.commit()
    assert (body.kind, body.level, body.area_id) == (BodyKind.ADMINISTRATIVE, Level.TOWN,
                                                     town.id)
    # Kept in the catalogue's order, without duplicates.
    assert body.dispute_types == ["labour", "family"]
    [entry] = _entries(db)
    assert (entry.kind, entry.action, entry.subject, entry.actor_id) == (
        "admin", "body.created", f"body:{body.id}", admin.id)
    assert audit.verify(db).ok


def test_every_invalid_field_is_reported_at_once(db: Session) -> None:
    admin = UserFactory(role=Role.ADMIN)
    village = AreaFactory(level=Level.VILLAGE)
    with pytest.raises(manage.Invalid) as caught:
        manage.save_body(db, actor=admin, body=None, data=_data(
            village.id, name=" ", kind="secret", level="town", phone="call me",
            dispute_types=[], address="x" * 301))
    assert set(caught.value.errors) == {"name", "kind", "area_id", "phone", "dispute_types",
                                        "address"}
    with pytest.raises(manage.Invalid) as caught:
        manage.save_body(db, actor=admin, body=None, data=_data(
            village.id, level="grid", dispute_types=["labour", "piracy"]))
    assert set(caught.value.errors) == {"level", "dispute_types"}
    assert db.execute(select(MediationBody)).first() is None
    assert _entries(db) == []


def test_names_are_unique_ignoring_case(db: Session) -> None:
    admin = UserFactory(role=Role.ADMIN)
    existing = BodyFactory(name="Harbour Mediation", dispute_types=["maritime"])
    with pytest.raises(manage.Invalid) as caught:
        manage.save_body(db, actor=admin, body=None,
                         data=_data(existing.area_id, name="harbour mediation"))
    assert caught.value.errors == {"name": "Another mediation body already has this name."}
    # Saving a body under its own name is fine.
    manage.save_body(db, actor=admin, body=existing, data=manage.BodyData.of(existing))


def test_body_admin_edits_only_the_public_description_of_their_own_body(db: Session) -> None:
    body = BodyFactory(dispute_types=["family"])
    other = BodyFactory()
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id)
    town = AreaFactory(level=Level.TOWN)
    name = body.name
    changed = manage.save_body(db, actor=boss, body=body, data=_data(
        town.id, name="Renamed", kind="industry", phone="0575 8888 1234",
        dispute_types=["family", "neighbour"]))
    db.commit()
    assert (changed.name, changed.kind, changed.area_id) == (name, BodyKind.PEOPLES,
                                                             body.area_id)
    assert changed.dispute_types == ["family", "neighbour"]
    assert changed.phone == "0575 8888 1234"
    [entry] = _entries(db)
    assert entry.action == "body.updated"
    assert json.loads(entry.data)["dispute_types"] == [["family"], ["family", "neighbour"]]
    with pytest.raises(manage.PermissionDenied):
        manage.save_body(db, actor=boss, body=other, data=manage.BodyData.of(other))
    with pytest.raises(manage.PermissionDenied):
        manage.save_body(db, actor=boss, body=None, data=_data(town.id))
    with pytest.raises(manage.PermissionDenied):
        manage.set_body_active(db, actor=boss, body=body, active=False)


def test_an_unchanged_save_writes_no_audit_entry(db: Session) -> None:
    admin = UserFactory(role=Role.ADMIN)
    body = BodyFactory(dispute_types=["family"])
    manage.save_body(db, actor=admin, body=body, data=manage.BodyData.of(body))
    assert _entries(db) == []


def test_admin_deactivates_and_reactivates(db: Session) -> None:
    admin = UserFactory(role=Role.ADMIN)
    body = BodyFactory()
    manage.set_body_active(db, actor=admin, body=body, active=False)
    manage.set_body_active(db, actor=admin, body=body, active=False)
    manage.set_body_active(db, actor=admin, body=body, active=True)
    assert [e.action for e in _entries(db)] == ["body.deactivated", "body.activated"]


def test_profiles_are_edited_by_the_mediators_body_admin(db: Session) -> None:
    body, other = BodyFactory(), BodyFactory()
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id)
    mine = UserFactory(role=Role.MEDIATOR, body_id=body.id)
    theirs = UserFactory(role=Role.MEDIATOR, body_id=other.id)
    party = UserFactory()
    data = manage.ProfileData(specialties="婚姻家庭、 劳动争议, 婚姻家庭",
                              languages="普通话，诸暨话", years=" 12 ", charges=True,
                              bio="资深调解员。")
    profile = manage.save_profile(db, actor=boss, mediator=mine, data=data)
    db.commit()
    stored = db.get(MediatorProfile, mine.id)
    assert stored is profile
    assert (stored.specialties, stored.years, stored.charges, stored.accepting_cases) == (
        ["婚姻家庭", "劳动争议"], 12, True, True)
    [entry] = _entries(db)
    assert (entry.action, entry.subject) == ("mediator_profile.updated", f"user:{mine.id}")
    for target in (theirs, party):
        with pytest.raises(manage.PermissionDenied):
            manage.save_profile(db, actor=boss, mediator=target, data=data)
    admin = UserFactory(role=Role.ADMIN)
    manage.save_profile(db, actor=admin, mediator=theirs, data=data)
    with pytest.raises(manage.PermissionDenied):
        manage.save_profile(db, actor=admin, mediator=party, data=data)


@pytest.mark.parametrize(("field", "data"), [
    ("years", manage.ProfileData(languages="普通话", years="-1")),
    ("years", manage.ProfileData(languages="普通话", years="61")),
    ("years", manage.ProfileData(languages="普通话", years="ten")),
    ("languages", manage.ProfileData(languages="  ", years="3")),
    ("specialties", manage.ProfileData(languages="普通话", years="3",
                                       specialties=",".join(str(n) for n in range(11)))),
    ("specialties", manage.ProfileData(languages="普通话", years="3", specialties="长" * 31)),
    ("bio", manage.ProfileData(languages="普通话", years="3", bio="x" * 2001)),
])
def test_profile_validation(db: Session, field: str, data: manage.ProfileData) -> None:
    admin = UserFactory(role=Role.ADMIN)
    mediator = UserFactory(role=Role.MEDIATOR)
    with pytest.raises(manage.Invalid) as caught:
        manage.save_profile(db, actor=admin, mediator=mediator, data=data)
    assert list(caught.value.errors) == [field]
    assert db.get(MediatorProfile, mediator.id) is None
