"""The court's signed notices move the filing and the case; anything not from the court,
seen before, or about an unknown filing is refused with its reason."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from court_export.keys import generate_signing_key, load_or_create_key, rotate_key
from portal.cases.states import Status, Trigger
from portal.config import get_settings
from portal.filing import courts, decisions, scan, services
from portal.filing.models import Filing, FilingStatus, SeenNotice
from portal.notifications.models import Delivery, Notification
from tests.unit.casefile.world import APPLICANT_PHONE, RESPONDENT_PHONE, World, build_world
from tests.unit.filing.support import court_key, notice


def _filed(db: Session) -> tuple[World, Filing]:
    world = build_world(db)
    filing = services.request_filing(db, case=world.case, user=world.applicant,
                                     court_id="zhuji")
    db.commit()
    return world, filing


def _confirming(db: Session) -> tuple[World, Filing]:
    world = build_world(db, until=Status.AGREEMENT_IN_EFFECT)
    for user in (world.applicant, world.respondent):
        filing = services.apply_for_confirmation(db, case=world.case, user=user,
                                                 court_id="zhuji")
    db.commit()
    assert filing is not None
    return world, filing


def _apply(db: Session, token: str, **kw: object) -> tuple[Filing, bool]:
    result = decisions.apply_token(db, token, **kw)  # type: ignore[arg-type]
    db.commit()
    return result


def test_acceptance_dockets_the_case_and_tells_the_parties(db: Session, held: list[int]) -> None:
    world, filing = _filed(db)
    _apply(db, notice(filing, "received"))
    assert world.case.status is Status.FILING_RECEIVED
    assert filing.status is FilingStatus.DELIVERED and filing.court_filing_id
    changed = _apply(db, notice(filing, "accepted", docket="(2026)浙0681民初12号"))[1]
    assert changed and world.case.status is Status.DOCKETED
    assert (filing.status, filing.docket_number, filing.filing_date) == (
        FilingStatus.ACCEPTED, "(2026)浙0681民初12号", dt.date(2026, 6, 1))
    event = world.case.events[-1]
    assert (event.trigger, event.actor_id, event.actor_role, event.reason) == (
        Trigger.DOCKET, None, "court", "(2026)浙0681民初12号")
    told = set(db.execute(select(Notification.user_id).where(
        Notification.event_id == event.id)).scalars())
    assert {world.applicant.id, world.respondent.id} <= told
    texted = set(db.execute(select(Delivery.recipient).where(
        Delivery.occasion == f"event:{event.id}", Delivery.channel == "sms")).scalars())
    assert {APPLICANT_PHONE, RESPONDENT_PHONE} <= texted


def test_a_decision_before_the_receipt_is_recorded_still_applies(
        db: Session, held: list[int]) -> None:
    # The 201 was lost (a timeout after the court stored the package): the decision says
    # the court has it, so the case is received, then docketed.
    world, filing = _filed(db)
    _apply(db, notice(filing, "accepted"))
    assert [e.trigger for e in world.case.events[-2:]] == [Trigger.COURT_RECEIVE,
                                                            Trigger.DOCKET]
    assert filing.status is FilingStatus.ACCEPTED


def test_rejection_carries_the_courts_reason(db: Session, held: list[int]) -> None:
    world, filing = _filed(db)
    _apply(db, notice(filing, "rejected", reason="不属于本院管辖"))
    assert world.case.status is Status.FILING_REJECTED
    assert filing.status is FilingStatus.REJECTED and filing.court_reason == "不属于本院管辖"
    assert world.case.events[-1].reason == "不属于本院管辖"


@pytest.mark.parametrize(("answer", "expected"), [("accepted", Status.CONFIRMED),
                                                  ("rejected", Status.CONFIRMATION_REFUSED)])
def test_the_court_decides_on_confirmation(db: Session, held: list[int], answer: str,
                                           expected: Status) -> None:
    world, filing = _confirming(db)
    _apply(db, notice(filing, answer, reason="协议内容违反法律规定"))
    assert world.case.status is expected
    assert world.case.events[-1].actor_role == "court"


def test_a_replayed_notice_is_refused(db: Session, held: list[int]) -> None:
    _world, filing = _filed(db)
    token = notice(filing, "accepted")
    _apply(db, token)
    with pytest.raises(decisions.NoticeError) as caught:
        decisions.apply_token(db, token)
    assert (caught.value.status, caught.value.code) == (409, "replayed")
    db.rollback()
    # Polling may find the notice the callback brought: not an error, and no change.
    assert decisions.apply_token(db, token, replay_ok=True)[1] is False
    assert db.execute(select(SeenNotice)).scalars().all()[0].status == "accepted"


def test_the_same_decision_twice_changes_nothing_and_a_contrary_one_is_refused(
        db: Session, held: list[int]) -> None:
    _world, filing = _filed(db)
    _apply(db, notice(filing, "accepted"))
    assert _apply(db, notice(filing, "accepted"))[1] is False
    assert _apply(db, notice(filing, "received"))[1] is False
    with pytest.raises(decisions.NoticeError) as caught:
        decisions.apply_token(db, notice(filing, "rejected", reason="x"))
    assert (caught.value.status, caught.value.code) == (409, "conflict")


def test_a_notice_about_an_unknown_filing_is_refused(db: Session, held: list[int]) -> None:
    _world, filing = _filed(db)
    with pytest.raises(decisions.NoticeError) as caught:
        decisions.apply_token(db, notice(filing, "accepted",
                                         package_id="00000000-0000-4000-8000-000000000000"))
    assert (caught.value.status, caught.value.code) == (404, "unknown_filing")


def test_notices_not_signed_by_the_court_are_refused(db: Session, held: list[int]) -> None:
    _world, filing = _filed(db)
    stranger = generate_signing_key()
    real = court_key()
    forged = notice(filing, "accepted", key=stranger)
    # The court's key id on a signature made with another key.
    header, payload, _sig = notice(filing, "accepted", key=real).split(".")
    swapped = ".".join([header, payload, forged.split(".")[2]])
    old = notice(filing, "accepted", issued_at=int(time.time()) - 8 * 86400)
    unsigned = jwt.encode({"status": "accepted"}, "a-shared-secret-of-32-bytes-or-more",
                          algorithm="HS256",
                          headers={"kid": real.kid})
    for token, expected in ((forged, (401, "unknown_key")), (swapped, (401, "bad_signature")),
                            (old, (400, "expired")), ("not.a.jws", (400, "malformed")),
                            (unsigned, (401, "bad_signature"))):
        with pytest.raises(decisions.NoticeError) as caught:
            decisions.apply_token(db, token)
        assert (caught.value.status, caught.value.code) == expected, token
    db.rollback()
    assert filing.status is FilingStatus.QUEUED and not db.execute(select(SeenNotice)).first()


def test_one_court_cannot_decide_on_another_courts_filing(
        db: Session, held: list[int], tmp_path: Path) -> None:
    _world, filing = _filed(db)
    other_dir = tmp_path / "other-keys"
    other = load_or_create_key(other_dir)
    base = courts.load()
    registry = courts.Courts(base.platform, (*base.courts, courts.Court(
        id="other", name="另一法院", endpoint="http://127.0.0.1:1/x", public_key_dir=other_dir)),
        embedded=False)
    for token in (notice(filing, "accepted", key=other, court_id="other"),
                  notice(filing, "accepted", key=other)):
        with pytest.raises(decisions.NoticeError) as caught:
            decisions.apply_token(db, token, registry=registry)
        assert (caught.value.status, caught.value.code) == (403, "wrong_court")


def test_a_rotated_court_key_is_trusted_by_its_key_id(db: Session, held: list[int]) -> None:
    _world, filing = _filed(db)
    old_token = notice(filing, "received")
    settings = get_settings()
    new = rotate_key(courts.embedded_dir(settings) / "keys",
                     passphrase=settings.resolved_pki_passphrase().encode())
    _apply(db, old_token)  # signed before the rotation: the old public key stays
    _apply(db, notice(filing, "accepted", key=new))
    assert filing.status is FilingStatus.ACCEPTED


def test_polling_applies_the_courts_latest_notice(db: Session, held: list[int]) -> None:
    world, filing = _filed(db)
    _apply(db, notice(filing, "received"))
    token = notice(filing, "accepted", docket="(2026)浙0681民初3号")
    asked: list[str] = []

    def court(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, json={"status": "accepted", "notice": token})

    client = httpx.Client(transport=httpx.MockTransport(court))
    assert scan.undecided(dt.datetime.now(dt.UTC)) == [filing.id]
    assert scan.poll(filing.id, client=client) is True
    db.expire_all()
    assert world.case.status is Status.DOCKETED and filing.docket_number == "(2026)浙0681民初3号"
    assert asked == [f"http://127.0.0.1:8000/court/api/v1/filings/by-package/"
                     f"{filing.package_id}"]
    assert scan.poll(filing.id, client=client) is False  # decided: not asked again
    assert len(asked) == 1


def test_an_undecided_filing_is_polled_again_only_after_a_while(
        db: Session, held: list[int]) -> None:
    _world, filing = _filed(db)
    _apply(db, notice(filing, "received"))
    client = httpx.Client(transport=httpx.MockTransport(
        lambda _r: httpx.Response(200, json={"status": "received"})))
    now = dt.datetime.now(dt.UTC)
    result = scan.scan(lambda _id: None, client=client, now=now)
    assert (result.polled, result.decided) == (1, 0)
    assert scan.scan(lambda _id: None, client=client, now=now).polled == 0
    assert scan.scan(lambda _id: None, client=client,
                     now=now + scan.POLL_EVERY + dt.timedelta(seconds=1)).polled == 1
