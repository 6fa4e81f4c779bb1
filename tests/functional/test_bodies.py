"""The public directory of mediation bodies, body pages, and managing bodies and mediators."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.audit.models import AuditEntry
from portal.bodies.models import BodyKind, Level, MediationBody, MediatorProfile
from portal.cases.models import CaseEvent
from portal.cases.states import Status, Trigger
from tests.factories import (
    AreaFactory,
    BodyFactory,
    CaseFactory,
    MediatorProfileFactory,
    UserFactory,
)
from tests.functional.conftest import Browser


def _english(browser: Browser) -> Browser:
    browser.get("/lang/en")
    return browser


def _names(html: str) -> list[str]:
    return re.findall(r'<h2 class="h5 mb-1"><a href="/bodies/\d+">([^<]+)</a>', html)


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    city = AreaFactory(name="绍兴市", level=Level.CITY)
    town = AreaFactory(name="枫桥镇", level=Level.TOWN, parent=city)
    village = AreaFactory(name="枫源村", level=Level.VILLAGE, parent=town)
    other_town = AreaFactory(name="城南街道", level=Level.TOWN, parent=city)
    bodies = {
        "centre": BodyFactory(name="市调处中心", level=Level.CITY, area=city,
                              dispute_types=["family", "labour", "medical"]),
        "town": BodyFactory(name="枫桥镇人民调解委员会", level=Level.TOWN, area=town,
                            dispute_types=["family", "land"], specialties="土地承包"),
        "village": BodyFactory(name="枫源村调解室", level=Level.VILLAGE, area=village,
                               dispute_types=["family", "neighbour"]),
        "sea": BodyFactory(name="海上枫桥", kind=BodyKind.INDUSTRY, level=Level.CITY,
                           area=city, dispute_types=["maritime"], address="渔港路 8 号"),
        "south": BodyFactory(name="城南街道调解委员会", level=Level.TOWN, area=other_town,
                             dispute_types=["labour"]),
        "closed": BodyFactory(name="已撤销调解室", level=Level.VILLAGE, area=village,
                              dispute_types=["family"], is_active=False),
    }
    return {"areas": {"city": city, "town": town, "village": village}, **bodies}


def test_directory_is_public_and_linked_from_the_menu(browser: Browser,
                                                      world: dict[str, Any]) -> None:
    home = _english(browser).get("/")
    assert 'href="/bodies"' in home.text and "Mediation bodies" in home.text
    page = browser.get("/bodies")
    assert page.status_code == 200
    names = _names(page.text)
    # City first, then towns, then villages; deactivated bodies are not published.
    assert names == ["市调处中心", "海上枫桥", "城南街道调解委员会", "枫桥镇人民调解委员会",
                     "枫源村调解室"]
    assert "5 bodies found" in page.text


@pytest.mark.parametrize(("query", "expected"), [
    ("type=family", {"市调处中心", "枫桥镇人民调解委员会", "枫源村调解室"}),
    ("type=maritime", {"海上枫桥"}),
    ("level=town", {"枫桥镇人民调解委员会", "城南街道调解委员会"}),
    ("kind=industry", {"海上枫桥"}),
    ("type=family&level=village", {"枫源村调解室"}),
    ("q=渔港", {"海上枫桥"}),
    ("q=土地", {"枫桥镇人民调解委员会"}),
    ("type=nonsense&level=nonsense", {"市调处中心", "枫桥镇人民调解委员会", "枫源村调解室",
                                      "海上枫桥", "城南街道调解委员会"}),
])
def test_directory_filters(browser: Browser, world: dict[str, Any], query: str,
                           expected: set[str]) -> None:
    assert set(_names(browser.get(f"/bodies?{query}").text)) == expected


def test_area_filter_includes_the_areas_below(browser: Browser, world: dict[str, Any]) -> None:
    town = world["areas"]["town"].id
    assert set(_names(browser.get(f"/bodies?area={town}").text)) == {
        "枫桥镇人民调解委员会", "枫源村调解室"}


def test_a_body_that_lists_no_types_matches_every_type(browser: Browser,
                                                       world: dict[str, Any]) -> None:
    BodyFactory(name="综合调解室", dispute_types=[])
    assert "综合调解室" in _names(browser.get("/bodies?type=maritime").text)


def test_empty_state_and_search_text_is_not_a_pattern(browser: Browser,
                                                      world: dict[str, Any]) -> None:
    page = _english(browser).get("/bodies?q=%25")
    assert _names(page.text) == []
    assert "No mediation body matches these filters." in page.text
    assert 'href="/bodies">Show all bodies' in page.text


def test_pagination_keeps_the_filters(browser: Browser, db: Session) -> None:
    area = AreaFactory(level=Level.TOWN)
    for n in range(12):
        BodyFactory(name=f"Body {n:02d}", area=area, dispute_types=["land"])
    BodyFactory(name="Body labour", area=area, dispute_types=["labour"])
    first = _english(browser).get("/bodies?type=land")
    assert _names(first.text) == [f"Body {n:02d}" for n in range(10)]
    assert "Page 1 of 2" in first.text
    assert 'href="/bodies?type=land&amp;page=2"' in first.text
    second = browser.get("/bodies?type=land&page=2")
    assert _names(second.text) == ["Body 10", "Body 11"]
    assert _names(browser.get("/bodies?type=land&page=3").text) == []


def test_body_page_shows_details_mediators_and_live_figures(browser: Browser, db: Session,
                                                            world: dict[str, Any]) -> None:
    body = world["town"]
    body.address, body.phone, body.working_hours = "枫源路 1 号", "0575-87001234", "周一至周五"
    db.commit()
    wang = MediatorProfileFactory(user__name="王调解", user__body_id=body.id, years=12,
                                  specialties=["土地承包", "婚姻家庭"], languages="普通话、诸暨话",
                                  charges=True)
    UserFactory(name="李调解", role=Role.MEDIATOR, body_id=body.id)  # no profile yet
    t0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    for status, days in ((Status.AGREEMENT_IN_EFFECT, 3), (Status.MEDIATION_FAILED, 6),
                         (Status.IN_MEDIATION, None)):
        case = CaseFactory(body_id=body.id, status=status, submitted_at=t0,
                           mediator_id=wang.user_id)
        if days is not None:
            db.add(CaseEvent(case_id=case.id, trigger=Trigger.ALL_SIGNED, to_status=status,
                             from_status=Status.SIGNING, actor_role="system",
                             created_at=t0 + dt.timedelta(days=days)))
    db.commit()
    page = _english(browser).get(f"/bodies/{body.id}")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    for expected in ("枫桥镇", "枫源路 1 号", "0575-87001234", "周一至周五", "Marriage and family",
                     "Land contracting and expropriation", "王调解", "李调解", "普通话、诸暨话",
                     "12 years of experience", "Charges a fee", "土地承包"):
        assert expected in text, expected
    # Body: 3 handled, 1 open, 1 of 2 finished resolved, (3 + 6) / 2 days.
    figures = re.findall(r'<dd class="fs-5 mb-0">\s*([^<]*?)\s*</dd>', page.text)
    assert figures[:4] == ["3", "1", "50%", "4.5"]
    # Mediators by name: 李调解 has no cases yet, 王调解 has the same three.
    assert figures[4:8] == ["0", "0", "—", "—"]
    assert figures[8:12] == ["3", "1", "50%", "4.5"]
    assert "Edit profile" not in page.text


def test_unknown_or_deactivated_body_is_not_found(browser: Browser, world: dict[str, Any],
                                                  make_browser: Any) -> None:
    assert browser.get("/bodies/999999").status_code == 404
    assert browser.get(f"/bodies/{world['closed'].id}").status_code == 404
    admin: Browser = make_browser()
    admin.login(UserFactory(role=Role.ADMIN).phone)
    assert admin.get(f"/bodies/{world['closed'].id}").status_code == 200


def _body_form(area_id: int, **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "绍兴市劳动人事争议调解中心", "kind": "administrative", "level": "city",
        "area_id": str(area_id), "address": "解放北路 100 号", "phone": "0575-85120000",
        "working_hours": "周一至周五 8:30-17:00", "specialties": "欠薪、工伤",
        "description": "劳动争议调解。", "dispute_types": ["labour", "medical"]}
    data.update(kw)
    return data


def test_admin_creates_a_body(make_browser: Any, db: Session, world: dict[str, Any]) -> None:
    admin: Browser = make_browser()
    admin.login(UserFactory(role=Role.ADMIN).phone)
    assert admin.get("/admin/bodies/new").status_code == 200
    response = admin.submit("/admin/bodies/new", _body_form(world["areas"]["city"].id))
    assert response.status_code == 303
    body = db.execute(select(MediationBody).where(
        MediationBody.name == "绍兴市劳动人事争议调解中心")).scalar_one()
    assert response.headers["location"] == f"/bodies/{body.id}"
    assert (body.kind, body.level, body.dispute_types) == (
        BodyKind.ADMINISTRATIVE, Level.CITY, ["labour", "medical"])
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "body.created")
                       ).scalar_one()
    assert (entry.kind, entry.subject) == ("admin", f"body:{body.id}")
    assert "绍兴市劳动人事争议调解中心" in admin.get("/bodies?type=medical").text


def test_invalid_body_form_keeps_what_was_typed(make_browser: Any, db: Session,
                                                world: dict[str, Any]) -> None:
    admin: Browser = _english(make_browser())
    admin.login(UserFactory(role=Role.ADMIN).phone)
    town = world["areas"]["town"].id
    response = admin.submit("/admin/bodies/new", _body_form(
        town, name="市调处中心", phone="call us", address="解放北路 99 号",
        dispute_types=["labour"]))
    assert response.status_code == 400
    text = response.text
    assert "Another mediation body already has this name." in text
    assert "Enter a phone number of digits" in text
    assert "Choose an area at the body&#39;s level" in text
    assert 'value="解放北路 99 号"' in text and 'value="call us"' in text
    assert re.search(r'value="labour"\s+checked', text)
    assert not re.search(r'value="medical"\s+checked', text)
    no_types = admin.submit("/admin/bodies/new", _body_form(
        world["areas"]["city"].id, dispute_types=[]))
    assert no_types.status_code == 400
    assert "Tick at least one type of dispute the body accepts." in no_types.text
    assert db.execute(select(MediationBody).where(
        MediationBody.name == "绍兴市劳动人事争议调解中心")).first() is None


def test_body_admin_edits_only_their_own_body(make_browser: Any, db: Session,
                                              world: dict[str, Any]) -> None:
    own, other = world["town"], world["south"]
    boss: Browser = make_browser()
    boss.login(UserFactory(role=Role.BODY_ADMIN, body_id=own.id).phone)
    assert boss.get(f"/admin/bodies/{other.id}/edit").status_code == 403
    assert boss.submit(f"/admin/bodies/{other.id}/edit",
                       _body_form(other.area_id, name="Hijacked")).status_code == 403
    assert boss.get("/admin/bodies/new").status_code == 403
    assert boss.submit(f"/admin/bodies/{own.id}/active", {"active": "no"}).status_code == 403
    listing = boss.get("/admin/bodies")
    assert listing.status_code == 200 and _names(listing.text) == []
    assert own.name in listing.text and other.name not in listing.text
    assert boss.get(f"/admin/bodies/{own.id}/edit").status_code == 200
    saved = boss.submit(f"/admin/bodies/{own.id}/edit", _body_form(
        own.area_id, name="Renamed", level="city", working_hours="周一至周六 8:00-18:00",
        dispute_types=["family", "land", "neighbour"]))
    assert saved.status_code == 303
    db.expire_all()
    body = db.get(MediationBody, own.id)
    assert body is not None
    assert (body.name, body.level) == ("枫桥镇人民调解委员会", Level.TOWN)
    assert body.working_hours == "周一至周六 8:00-18:00"
    assert body.dispute_types == ["family", "neighbour", "land"]
    db.refresh(other)
    assert other.name == "城南街道调解委员会"
    assert "编辑机构" in boss.get(f"/bodies/{own.id}").text
    assert "编辑机构" not in boss.get(f"/bodies/{other.id}").text


def test_admin_deactivates_a_body_after_confirmation(make_browser: Any, db: Session,
                                                     world: dict[str, Any]) -> None:
    admin: Browser = make_browser()
    admin.login(UserFactory(role=Role.ADMIN).phone)
    listing = admin.get("/admin/bodies")
    assert "data-confirm=" in listing.text
    body = world["sea"]
    assert admin.submit(f"/admin/bodies/{body.id}/active", {"active": "no"}).status_code == 303
    assert "海上枫桥" not in _names(admin.get("/bodies").text)
    assert admin.submit(f"/admin/bodies/{body.id}/active", {}).status_code == 400
    assert admin.submit("/admin/bodies/999999/active", {"active": "yes"}).status_code == 404
    db.refresh(body)
    assert body.is_active is False


def test_body_admin_edits_their_mediators_profiles(make_browser: Any, db: Session,
                                                   world: dict[str, Any]) -> None:
    own, other = world["town"], world["south"]
    mine = UserFactory(name="王调解", role=Role.MEDIATOR, body_id=own.id)
    theirs = UserFactory(role=Role.MEDIATOR, body_id=other.id)
    boss: Browser = _english(make_browser())
    boss.login(UserFactory(role=Role.BODY_ADMIN, body_id=own.id).phone)
    assert boss.get(f"/admin/mediators/{theirs.id}").status_code == 403
    assert boss.submit(f"/admin/mediators/{theirs.id}",
                       {"languages": "普通话", "years": "3"}).status_code == 403
    assert boss.get(f"/admin/mediators/{UserFactory().id}").status_code == 404
    form = boss.get(f"/admin/mediators/{mine.id}")
    assert form.status_code == 200 and 'value="普通话"' in form.text
    bad = boss.submit(f"/admin/mediators/{mine.id}", {
        "specialties": "婚姻家庭、邻里纠纷", "languages": "普通话", "years": "sixty",
        "charges": "on", "accepting_cases": "on", "bio": "二十年基层调解经验。"})
    assert bad.status_code == 400
    assert "Enter the years of experience as a whole number from 0 to 60." in bad.text
    assert 'value="婚姻家庭、邻里纠纷"' in bad.text and "二十年基层调解经验。" in bad.text
    assert db.get(MediatorProfile, mine.id) is None
    ok = boss.submit(f"/admin/mediators/{mine.id}", {
        "specialties": "婚姻家庭、邻里纠纷", "languages": "普通话", "years": "20",
        "accepting_cases": "on", "bio": "二十年基层调解经验。"})
    assert ok.status_code == 303 and ok.headers["location"] == f"/bodies/{own.id}"
    db.expire_all()
    profile = db.get(MediatorProfile, mine.id)
    assert profile is not None
    assert (profile.specialties, profile.years, profile.charges) == (
        ["婚姻家庭", "邻里纠纷"], 20, False)
    page = boss.get(f"/bodies/{own.id}").text
    assert "20 years of experience" in page and "Free of charge" in page
    assert db.execute(select(AuditEntry).where(
        AuditEntry.action == "mediator_profile.updated")).scalar_one().kind == "admin"


def test_other_roles_cannot_manage(make_browser: Any, world: dict[str, Any]) -> None:
    mediator = UserFactory(role=Role.MEDIATOR, body_id=world["town"].id)
    for role in (Role.PARTY, Role.MEDIATOR, Role.DISPATCHER):
        user = mediator if role is Role.MEDIATOR else UserFactory(role=role)
        browser: Browser = make_browser()
        browser.login(user.phone)
        assert browser.get("/admin/bodies").status_code == 403
        assert browser.get(f"/admin/bodies/{world['town'].id}/edit").status_code == 403
        assert browser.submit(f"/admin/mediators/{mediator.id}",
                              {"languages": "x", "years": "1"}).status_code == 403
        assert browser.get(f"/bodies/{world['town'].id}").status_code == 200
