from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from court_export.keys import generate_signing_key
from court_export.notices import NoticeRejected, read_notice
from court_export.receiver.context import Court, build_court
from court_export.receiver.models import Filing
from court_export.receiver.records import issue_notice, status_body
from tests.functional.court_receiver_support import drop_tables, receiver_config


@pytest.fixture
def court(tmp_path: Path) -> Iterator[Court]:
    config = receiver_config(tmp_path / "court", generate_signing_key())
    court = build_court(config)
    yield court
    court.db.dispose()
    drop_tables(config)


def test_an_old_notice_is_signed_again_with_the_same_id(court: Court) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=10)
    with court.db.session() as session:
        filing = Filing(
            id=str(uuid.uuid4()), package_id=str(uuid.uuid4()), platform_id="fengqiao",
            kid="k", filing_type="litigation", status="rejected", case_json=json.dumps({}),
            body_sha256="0" * 64, size=1, stored_name="x.zip", first_response="{}",
            received_at=long_ago, reason="不属于本院管辖")
        session.add(filing)
        session.flush()
        notice = issue_notice(session, court, filing, "rejected", now=long_ago)
        session.commit()
        keys = court.public_keys()
        with pytest.raises(NoticeRejected) as old:
            read_notice(notice.token, keys)
        assert old.value.code == "expired"
        polled = read_notice(status_body(court, filing, notice)["notice"], keys)
    assert polled.notice_id == notice.notice_id
    assert (polled.status, polled.reason, polled.docket_number) == (
        "rejected", "不属于本院管辖", None)
    assert polled.issued_at > int(long_ago.timestamp())
