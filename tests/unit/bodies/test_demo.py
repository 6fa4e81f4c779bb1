from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import demo
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.bodies.figures import body_figures
from portal.bodies.models import BodyKind, Level, MediationBody, MediatorProfile
from portal.bodies.services import suggest_bodies
from portal.cases.disputes import DISPUTE_TYPES
from portal.cases.models import Case


def test_demo_data_loads_once_with_bodies_at_every_level(db: Session) -> None:
    assert demo.load(db) is True
    db.commit()
    counts = (db.execute(select(func.count()).select_from(User)).scalar_one(),
              db.execute(select(func.count()).select_from(Case)).scalar_one())
    assert demo.load(db) is False
    assert counts == (db.execute(select(func.count()).select_from(User)).scalar_one(),
                      db.execute(select(func.count()).select_from(Case)).scalar_one())

    bodies = list(db.execute(select(MediationBody)).scalars())
    assert {b.level for b in bodies} == {Level.CITY, Level.TOWN, Level.VILLAGE}
    assert {b.kind for b in bodies} >= {BodyKind.PEOPLES, BodyKind.ADMINISTRATIVE,
                                        BodyKind.INDUSTRY}
    by_name = {b.name: b for b in bodies}
    assert "consumer" in by_name["电商枫桥调解工作室"].dispute_types
    assert "maritime" in by_name["海上枫桥渔事纠纷调解中心"].dispute_types
    assert by_name["园区枫桥劳动争议调解站"].dispute_types == ["labour"]
    for b in bodies:
        assert b.dispute_types and set(b.dispute_types) <= set(DISPUTE_TYPES), b.name
        assert b.address and b.phone and b.working_hours, b.name
        assert b.area.level is b.level, b.name

    mediators = list(db.execute(select(User).where(User.role == Role.MEDIATOR)).scalars())
    per_body = Counter(m.body_id for m in mediators)
    for name in ("绍兴市社会矛盾纠纷调处化解中心", "枫桥镇人民调解委员会", "电商枫桥调解工作室",
                 "海上枫桥渔事纠纷调解中心", "园区枫桥劳动争议调解站"):
        assert 2 <= per_body[by_name[name].id] <= 4, name
    assert all(db.get(MediatorProfile, m.id) is not None for m in mediators)
    demo_mediator = db.execute(select(User).where(User.phone == "13800000004")).scalar_one()
    assert demo_mediator.body_id == by_name["枫桥镇人民调解委员会"].id

    town = body_figures(db, body_ids=[by_name["枫桥镇人民调解委员会"].id])[
        by_name["枫桥镇人民调解委员会"].id]
    assert (town.finished, town.resolved) == (5, 3)
    assert town.average_days is not None and town.average_days > 1


def test_demo_suggestions_follow_the_level_rule(db: Session) -> None:
    demo.load(db)
    db.commit()
    village = db.execute(select(MediationBody).where(
        MediationBody.name == "枫源村人民调解室")).scalar_one()
    family = suggest_bodies(db, dispute_type="family", area_id=village.area_id)
    assert family[0].body.name == "枫源村人民调解室"
    assert suggest_bodies(db, dispute_type="maritime", area_id=village.area_id)[0].body.name == (
        "海上枫桥渔事纠纷调解中心")
    assert suggest_bodies(db, dispute_type="consumer", area_id=None)[0].body.name == (
        "电商枫桥调解工作室")
    labour = [s.body.level for s in suggest_bodies(db, dispute_type="labour",
                                                   area_id=village.area_id)]
    assert labour[0] is Level.TOWN
