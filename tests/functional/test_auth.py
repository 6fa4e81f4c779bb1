import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.notifications.models import OutboundMessage
from tests.factories import UserFactory
from tests.functional.conftest import Browser

PHONE = "13712345678"
FORM = {"name": "王五", "id_number": "110101199003074477", "phone": PHONE,
        "password": "river lantern autumn bridge", "password2": "river lantern autumn bridge",
        "agree": "yes", "action": "register"}


def _outbox_code(browser: Browser) -> str:
    page = browser.get("/dev/sms").text
    match = re.search(r"验证码 (\d{6})", page)
    assert match, page
    return match.group(1)


def _users(db: Session) -> int:
    return db.execute(select(func.count()).select_from(User)).scalar_one()


def test_register_with_code_from_outbox_then_logged_in(browser: Browser, db: Session) -> None:
    sent = browser.submit("/register", {"phone": PHONE, "action": "send_code", "name": "王五"})
    assert sent.status_code == 200
    assert "验证码已发送至 137****5678" in sent.text or "137****5678" in sent.text
    assert 'value="王五"' in sent.text  # what was typed is kept
    response = browser.submit("/register", {**FORM, "code": _outbox_code(browser)})
    assert response.status_code == 303 and response.headers["location"] == "/cases"
    assert "odr_access" in browser.cookies
    page = browser.get("/cases")
    assert page.status_code == 200 and "王五" in page.text


def test_wrong_id_checksum_gets_400_in_chinese_and_nothing_created(
        browser: Browser, db: Session) -> None:
    browser.submit("/register", {"phone": PHONE, "action": "send_code"})
    bad = {**FORM, "id_number": "110101199003074478", "code": _outbox_code(browser)}
    response = browser.submit("/register", bad)
    assert response.status_code == 400
    assert "校验码" in response.text or "校验位" in response.text
    assert 'aria-invalid="true"' in response.text
    assert _users(db) == 0


def test_same_error_in_english(browser: Browser, db: Session) -> None:
    browser.get("/lang/en?next=/register")
    browser.submit("/register", {"phone": PHONE, "action": "send_code"})
    bad = {**FORM, "id_number": "110101199003074478", "code": _outbox_code(browser)}
    response = browser.submit("/register", bad)
    assert response.status_code == 400
    assert "check digit is wrong" in response.text
    assert '<html lang="en">' in response.text


def test_weak_password_and_mismatch(browser: Browser, db: Session) -> None:
    weak = {**FORM, "password": "12345678", "password2": "12345678", "code": "123456"}
    response = browser.submit("/register", weak)
    assert response.status_code == 400 and _users(db) == 0
    mismatch = {**FORM, "password2": "something else entirely", "code": "123456"}
    response = browser.submit("/register", mismatch)
    assert response.status_code == 400 and "两次" in response.text


def test_duplicate_phone(browser: Browser, db: Session) -> None:
    UserFactory(phone=PHONE)
    response = browser.submit("/register", {"phone": PHONE, "action": "send_code"})
    assert response.status_code == 400
    assert db.execute(select(func.count()).select_from(OutboundMessage)).scalar_one() == 0


def test_missing_or_wrong_csrf_token_is_refused(browser: Browser, db: Session) -> None:
    UserFactory(phone=PHONE)
    browser.get("/login")
    no_token = browser.post("/login", data={"phone": PHONE, "password": "x"})
    assert no_token.status_code == 403
    wrong = browser.post("/login", data={"phone": PHONE, "password": "x", "csrftoken": "forged"})
    assert wrong.status_code == 403 and "表单已失效" in wrong.text
    assert db.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 0


def test_login_logout(browser: Browser, db: Session) -> None:
    UserFactory(phone=PHONE, name="赵六")
    browser.login(PHONE)
    assert "赵六" in browser.get("/cases").text
    response = browser.submit("/logout")
    assert response.status_code == 303
    assert browser.get("/cases", follow_redirects=False).status_code == 303


def test_wrong_password_then_rate_limited(browser: Browser, db: Session) -> None:
    UserFactory(phone=PHONE)
    for _ in range(5):
        response = browser.submit("/login", {"phone": PHONE, "password": "wrong password"})
        assert response.status_code == 400
        assert "手机号码或密码不正确" in response.text
    response = browser.submit("/login", {"phone": PHONE,
                                         "password": "correct horse battery staple"})
    assert response.status_code == 429


def test_forged_or_expired_token_is_anonymous(browser: Browser, db: Session) -> None:
    UserFactory(phone=PHONE)
    browser.login(PHONE)
    token = browser.cookies["odr_access"]
    browser.cookies.delete("odr_refresh")
    browser.cookies.set("odr_access", token[:-3] + "abc")
    response = browser.get("/cases", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert "odr_access=;" in response.headers.get("set-cookie", "")


def test_expired_access_token_rotates_with_refresh_cookie(browser: Browser, db: Session) -> None:
    UserFactory(phone=PHONE)
    browser.login(PHONE)
    old_refresh = browser.cookies["odr_refresh"]
    browser.cookies.delete("odr_access")  # as the browser does once Max-Age passes
    response = browser.get("/cases")
    assert response.status_code == 200
    assert browser.cookies["odr_refresh"] != old_refresh


def test_login_redirects_only_to_own_site(browser: Browser, db: Session) -> None:
    UserFactory(phone=PHONE)
    response = browser.submit("/login?next=https://evil.example/",
                              {"phone": PHONE, "password": "correct horse battery staple",
                               "next": "//evil.example/"})
    assert response.headers["location"] == "/"
