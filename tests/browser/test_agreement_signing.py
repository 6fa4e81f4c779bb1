"""A party draws a signature with signature_pad on a phone screen and signs the agreement."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from portal.agreements import services
from portal.agreements.models import SignableDocument
from portal.storage import get_storage
from tests.factories import PASSWORD
from tests.unit.agreements.support import last_code, sample_draft, signing_world

pytestmark = pytest.mark.browser


def test_party_draws_and_signs_on_a_phone(db: Session, live_server: str, chromium: Any,
                                          tmp_path: Any) -> None:
    w = signing_world(db)
    services.save_version(db, case=w.case, actor=w.mediator, draft=sample_draft())
    document = services.open_signing(db, case=w.case, actor=w.mediator, storage=get_storage())
    db.commit()
    context = chromium.new_context(base_url=live_server, viewport={"width": 360, "height": 740},
                                   device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto("/login")
    page.fill("[name=phone]", w.world.applicant.phone)
    page.fill("[name=password]", PASSWORD)
    page.click("main form button")
    page.goto(f"/cases/{w.case.number}/documents/{document.id}")
    page.click("form[action$='/code'] button")
    page.wait_for_url("**#sign")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Submitting an empty pad is stopped in the browser.
    page.fill("[name=code]", last_code(db, w.world.applicant_party.phone))
    page.click("#sign-form button.btn-primary")
    assert page.is_visible("[data-signature-empty]")
    pad = page.locator("[data-signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None and box["width"] > 250
    page.mouse.move(box["x"] + 20, box["y"] + 120)
    page.mouse.down()
    for x, y in ((80, 40), (140, 130), (200, 50), (260, 110)):
        page.mouse.move(box["x"] + x, box["y"] + y, steps=5)
    page.mouse.up()
    page.screenshot(path=str(tmp_path / "signing.png"), full_page=True)
    page.click("#sign-form button.btn-primary")
    page.wait_for_selector("[data-field='party-1'][data-signed='true']")
    db.expire_all()
    signed = db.get(SignableDocument, document.id)
    assert signed is not None and signed.signers[0].signed_at is not None
    context.close()
