import datetime as dt
import re
from typing import Any

from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.cases.models import Case, CaseParticipant, ParticipantRole
from portal.cases.states import Status
from tests.factories import BodyFactory, CaseFactory, UserFactory
from tests.functional.conftest import Browser

NUMBER = re.compile(r'<td><a href="/cases/(FQ-\d{4}-\d{6})">')
UTC = dt.UTC


def _numbers(html: str) -> list[str]:
    return NUMBER.findall(html)


def _case(db: Session, applicant: Any, number: str, *, title: str = "纠纷",
          status: Status = Status.DRAFT, dispute_type: str = "other",
          created: dt.datetime | None = None, updated: dt.datetime | None = None,
          respondent: str | None = None, **kw: Any) -> Case:
    when = created or dt.datetime(2026, 3, 1, 4, tzinfo=UTC)
    case = CaseFactory(applicant=applicant, number=number, title=title, status=status,
                       dispute_type=dispute_type, created_at=when, updated_at=updated or when,
                       **kw)
    if respondent:
        case.participants.append(CaseParticipant(role=ParticipantRole.RESPONDENT,
                                                 name=respondent))
        db.commit()
    return case


def _browser(make_browser: Any, user: Any) -> Browser:
    browser: Browser = make_browser()
    browser.get("/lang/en")
    browser.login(user.phone)
    return browser


def test_search_by_number_title_and_party_name(db: Session, make_browser: Any) -> None:
    party = UserFactory()
    _case(db, party, "FQ-2026-000001", title="拖欠工资", respondent="某服装有限公司")
    _case(db, party, "FQ-2026-000002", title="相邻通行", respondent="李四")
    _case(db, UserFactory(), "FQ-2026-000003", title="拖欠工资")  # not this party's
    browser = _browser(make_browser, party)
    assert _numbers(browser.get("/cases?q=000002").text) == ["FQ-2026-000002"]
    assert _numbers(browser.get("/cases?q=拖欠").text) == ["FQ-2026-000001"]
    assert _numbers(browser.get("/cases?q=服装").text) == ["FQ-2026-000001"]
    assert _numbers(browser.get("/cases?q=100%25").text) == []
    nothing = browser.get("/cases?q=不存在")
    assert nothing.status_code == 200 and "No case matches these filters" in nothing.text


def test_filters_by_status_type_and_dates(db: Session, make_browser: Any) -> None:
    party = UserFactory()
    # 23:30 on 31 March in Beijing is still March there, although April has begun in UTC.
    _case(db, party, "FQ-2026-000001", dispute_type="labour",
          created=dt.datetime(2026, 3, 31, 15, 30, tzinfo=UTC))
    _case(db, party, "FQ-2026-000002", dispute_type="family", status=Status.SUBMITTED,
          created=dt.datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    _case(db, party, "FQ-2026-000003", dispute_type="labour", status=Status.SUBMITTED,
          created=dt.datetime(2026, 4, 20, 2, tzinfo=UTC))
    browser = _browser(make_browser, party)
    assert sorted(_numbers(browser.get("/cases?status=submitted").text)) == [
        "FQ-2026-000002", "FQ-2026-000003"]
    assert sorted(_numbers(browser.get("/cases?type=labour").text)) == [
        "FQ-2026-000001", "FQ-2026-000003"]
    assert _numbers(browser.get("/cases?type=labour&status=submitted").text) == [
        "FQ-2026-000003"]
    march = browser.get("/cases?from=2026-03-01&to=2026-03-31").text
    assert _numbers(march) == ["FQ-2026-000001"]
    april = browser.get("/cases?from=2026-04-01").text
    assert sorted(_numbers(april)) == ["FQ-2026-000002", "FQ-2026-000003"]
    assert _numbers(browser.get("/cases?to=2026-04-01").text) == [
        "FQ-2026-000002", "FQ-2026-000001"]
    # Unknown choices are ignored rather than failing.
    assert len(_numbers(browser.get("/cases?status=bogus&type=bogus&sort=x").text)) == 3


def test_an_impossible_date_range_is_a_clear_400(db: Session, make_browser: Any) -> None:
    party = UserFactory()
    _case(db, party, "FQ-2026-000001")
    browser = _browser(make_browser, party)
    response = browser.get("/cases?from=2026-05-01&to=2026-04-01&q=abc")
    assert response.status_code == 400
    assert "The end date is before the start date" in response.text
    assert 'aria-invalid="true" aria-describedby="e-to"' in response.text
    assert 'value="2026-05-01"' in response.text and 'value="abc"' in response.text
    assert _numbers(response.text) == []
    malformed = browser.get("/cases?from=2026-13-45")
    assert malformed.status_code == 400 and "YYYY-MM-DD" in malformed.text


def test_sorting(db: Session, make_browser: Any) -> None:
    party = UserFactory()
    base = dt.datetime(2026, 1, 1, tzinfo=UTC)
    _case(db, party, "FQ-2026-000002", created=base, updated=base + dt.timedelta(days=9))
    _case(db, party, "FQ-2026-000003", created=base + dt.timedelta(days=1),
          updated=base + dt.timedelta(days=2))
    _case(db, party, "FQ-2026-000001", created=base + dt.timedelta(days=2),
          updated=base + dt.timedelta(days=5))
    browser = _browser(make_browser, party)
    assert _numbers(browser.get("/cases").text) == [
        "FQ-2026-000002", "FQ-2026-000001", "FQ-2026-000003"]
    assert _numbers(browser.get("/cases?sort=updated&order=asc").text) == [
        "FQ-2026-000003", "FQ-2026-000001", "FQ-2026-000002"]
    assert _numbers(browser.get("/cases?sort=created").text) == [
        "FQ-2026-000001", "FQ-2026-000003", "FQ-2026-000002"]
    assert _numbers(browser.get("/cases?sort=number&order=asc").text) == [
        "FQ-2026-000001", "FQ-2026-000002", "FQ-2026-000003"]
    assert _numbers(browser.get("/cases?sort=number&order=desc").text) == [
        "FQ-2026-000003", "FQ-2026-000002", "FQ-2026-000001"]


def test_pagination_keeps_the_filters(db: Session, make_browser: Any) -> None:
    party = UserFactory()
    for i in range(1, 31):
        _case(db, party, f"FQ-2026-{i:06d}", dispute_type="labour" if i % 5 else "family",
              created=dt.datetime(2026, 2, 1, tzinfo=UTC) + dt.timedelta(hours=i))
    browser = _browser(make_browser, party)
    first = browser.get("/cases?type=labour&sort=number&order=asc").text
    assert "Page 1 of 2" in first and "24 cases" in first
    link = re.search(r'href="(/cases\?[^"]*page=2)"', first)
    assert link is not None
    target = link.group(1).replace("&amp;", "&")
    assert "type=labour" in target and "sort=number" in target and "order=asc" in target
    second = browser.get(target).text
    assert _numbers(second) == [f"FQ-2026-{i:06d}" for i in (26, 27, 28, 29)]


def test_drafts_link_to_their_step_for_the_applicant_only(db: Session,
                                                          make_browser: Any) -> None:
    party = UserFactory()
    body = BodyFactory()
    _case(db, party, "FQ-2026-000001", wizard_step="claims", body_id=body.id)
    _case(db, party, "FQ-2026-000002", status=Status.SUBMITTED, body_id=body.id)
    mine = _browser(make_browser, party).get("/cases").text
    assert mine.count("Continue application") == 1
    assert 'href="/apply/FQ-2026-000001/claims"' in mine
    staff = _browser(make_browser, UserFactory(role=Role.BODY_ADMIN, body_id=body.id))
    theirs = staff.get("/cases").text
    assert "FQ-2026-000001" in theirs and "Continue application" not in theirs
    assert 'href="/apply"' not in theirs
