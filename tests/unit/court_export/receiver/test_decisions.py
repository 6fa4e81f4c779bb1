from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from court_export.keys import generate_signing_key
from court_export.receiver import decisions
from court_export.receiver.config import CONFIRMATION, LITIGATION
from court_export.receiver.context import Court, build_court
from court_export.receiver.models import Filing, Notice
from tests.functional.court_receiver_support import drop_tables, receiver_config


@pytest.fixture
def court(tmp_path: Path) -> Iterator[Court]:
    config = receiver_config(tmp_path / "court", generate_signing_key())
    court = build_court(config)
    yield court
    court.db.dispose()
    drop_tables(config)


def _filing(court: Court, filing_type: str = LITIGATION) -> str:
    filing_id = str(uuid.uuid4())
    with court.db.session() as session:
        session.add(Filing(
            id=filing_id, package_id=str(uuid.uuid4()), platform_id="fengqiao", kid="k",
            filing_type=filing_type, status="received", case_json=json.dumps({}),
            body_sha256="0" * 64, size=1, stored_name=f"{filing_id}.zip", first_response="{}",
            received_at=datetime.now(UTC)))
        session.commit()
    return filing_id


def test_numbers_count_per_type_and_restart_each_court_year(court: Court) -> None:
    # 23:59 and 00:30 at the court (UTC+8): the docket year is the court's.
    late = datetime(2025, 12, 31, 15, 59, tzinfo=UTC)
    new_year = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
    a = decisions.accept(court, _filing(court), clerk="c", now=late)
    b = decisions.accept(court, _filing(court), clerk="c", now=late)
    c = decisions.accept(court, _filing(court, CONFIRMATION), clerk="c", now=late)
    d = decisions.accept(court, _filing(court), clerk="c", now=new_year)
    assert [x.docket_number for x in (a, b, c, d)] == [
        "(2025)浙0681民初1号", "(2025)浙0681民初2号", "(2025)浙0681民特1号",
        "(2026)浙0681民初1号"]
    assert (b.filing_date, d.filing_date) == (date(2025, 12, 31), date(2026, 1, 1))


def test_concurrent_accepts_get_distinct_consecutive_numbers(court: Court) -> None:
    filings = [_filing(court) for _ in range(12)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        accepted = list(pool.map(lambda f: decisions.accept(court, f, clerk="c"), filings))
    year = accepted[0].filing_date.year  # type: ignore[union-attr]
    numbers = sorted(int(str(f.docket_number).split("民初")[1][:-1]) for f in accepted)
    assert numbers == list(range(1, 13))
    assert all(str(f.docket_number).startswith(f"({year})") for f in accepted)


def test_a_filing_is_decided_once(court: Court) -> None:
    filing_id = _filing(court)
    decisions.accept(court, filing_id, clerk="c")
    with pytest.raises(decisions.AlreadyDecided):
        decisions.accept(court, filing_id, clerk="c")
    with pytest.raises(decisions.AlreadyDecided):
        decisions.reject(court, filing_id, clerk="c", reason="late")
    with pytest.raises(decisions.UnknownFiling):
        decisions.accept(court, "nope", clerk="c")
    # The refused second accept took no number and issued no notice.
    second = decisions.accept(court, _filing(court), clerk="c")
    assert str(second.docket_number).endswith("民初2号")
    with court.db.session() as session:
        notices = session.scalars(select(Notice.status).where(Notice.filing_id == filing_id))
        assert list(notices) == ["accepted"]


@pytest.mark.parametrize("reason", ["", "  \n ", "x" * (decisions.MAX_REASON + 1)])
def test_a_rejection_needs_a_short_enough_reason(court: Court, reason: str) -> None:
    filing_id = _filing(court)
    with pytest.raises(ValueError):
        decisions.reject(court, filing_id, clerk="c", reason=reason)
    with court.db.session() as session:
        assert session.get(Filing, filing_id).status == "received"  # type: ignore[union-attr]
