"""Mediator photos: uploaded by the body's administrator, sniffed, limited, shown publicly."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.accounts.roles import Role
from portal.bodies.models import MediatorProfile
from portal.bodies.photos import MAX_PHOTO_BYTES
from portal.config import get_settings
from tests.factories import BodyFactory, MediatorProfileFactory, UserFactory
from tests.functional.conftest import Browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 600


def _stored_files() -> set[str]:
    root = get_settings().files_dir
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_photo_upload_and_public_display(browser: Browser, db: Session, make_browser) -> None:
    body = BodyFactory()
    profile = MediatorProfileFactory(user__body_id=body.id)
    mediator_id = profile.user_id
    boss = UserFactory(role=Role.BODY_ADMIN, body_id=body.id)
    browser.login(boss.phone)
    url = f"/admin/mediators/{mediator_id}/photo"
    before = _stored_files()

    exe = browser.post(url, data={"csrftoken": browser.csrf()}, follow_redirects=False,
                       files={"photo": ("me.png", b"\x7fELF\x02\x01\x01\0" + b"0" * 600)})
    assert exe.status_code == 303 and _stored_files() == before
    assert "JPEG" in browser.get(f"/admin/mediators/{mediator_id}").text  # says why
    big = browser.post(url, data={"csrftoken": browser.csrf()}, follow_redirects=False,
                       files={"photo": ("big.png", PNG + b"0" * MAX_PHOTO_BYTES)})
    assert big.status_code == 303 and _stored_files() == before
    db.expire_all()
    assert db.get(MediatorProfile, mediator_id).photo_path is None  # type: ignore[union-attr]

    ok = browser.post(url, data={"csrftoken": browser.csrf()}, follow_redirects=False,
                      files={"photo": ("me.png", PNG, "image/png")})
    assert ok.status_code == 303
    db.expire_all()
    name = db.get(MediatorProfile, mediator_id).photo_path  # type: ignore[union-attr]
    assert name and name.endswith(".png") and "me" not in name

    visitor: Browser = make_browser()
    shown = visitor.get(f"/mediators/{mediator_id}/photo")
    assert shown.status_code == 200 and shown.content == PNG
    assert shown.headers["content-type"] == "image/png"
    assert f"/mediators/{mediator_id}/photo" in visitor.get(f"/bodies/{body.id}").text

    stranger: Browser = make_browser()
    stranger.login(UserFactory(role=Role.BODY_ADMIN, body_id=BodyFactory().id).phone)
    assert stranger.post(url, data={"csrftoken": stranger.csrf()},
                         files={"photo": ("x.png", PNG, "image/png")}).status_code == 403
    assert visitor.get(f"/mediators/{UserFactory().id}/photo").status_code == 404
