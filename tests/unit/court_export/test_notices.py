"""The court's signed review notices."""

from __future__ import annotations

import time
from dataclasses import replace

import jwt
import pytest

from court_export.keys import SigningKey
from court_export.notices import NoticeRejected, ReviewNotice, read_notice, sign_notice


def notice(**changes: object) -> ReviewNotice:
    base = ReviewNotice(filing_id="F-2025-0001",
                        package_id="6f1c3f0e-8a43-4b1b-9c55-0d2f4a0b1c2d", court_id="zhuji",
                        status="accepted", docket_number="（2025）浙0681民初123号",
                        filing_date="2025-03-25", reason=None, issued_at=int(time.time()),
                        notice_id="N-1")
    return replace(base, **changes)  # type: ignore[arg-type]


def rejected(token: str, keys: dict[str, bytes], **kwargs: int) -> str:
    with pytest.raises(NoticeRejected) as caught:
        read_notice(token, keys, **kwargs)
    return caught.value.code


def test_a_signed_notice_reads_back(key: SigningKey, keys: dict[str, bytes]) -> None:
    for sent in (notice(), notice(status="received", docket_number=None, filing_date=None),
                 notice(status="rejected", docket_number=None, filing_date=None,
                        reason="材料不全")):
        token = sign_notice(sent, key)
        assert jwt.get_unverified_header(token)["kid"] == key.kid
        assert read_notice(token, keys) == sent


def test_a_notice_signed_by_another_key_is_refused(key: SigningKey, other_key: SigningKey,
                                                   keys: dict[str, bytes]) -> None:
    impostor = SigningKey(key.kid, other_key.private_pem)
    assert rejected(sign_notice(notice(), impostor), keys) == "bad_signature"


def test_a_changed_claim_breaks_the_signature(key: SigningKey, keys: dict[str, bytes]) -> None:
    header, _, signature = sign_notice(notice(), key).split(".")
    other = sign_notice(notice(status="rejected", reason="x", docket_number=None,
                               filing_date=None), key).split(".")[1]
    assert rejected(f"{header}.{other}.{signature}", keys) == "bad_signature"


def test_an_unknown_kid_is_refused(other_key: SigningKey, keys: dict[str, bytes]) -> None:
    assert rejected(sign_notice(notice(), other_key), keys) == "unknown_key"


def test_an_old_notice_has_expired(key: SigningKey, keys: dict[str, bytes]) -> None:
    old = notice(issued_at=int(time.time()) - 8 * 86400)
    assert rejected(sign_notice(old, key), keys) == "expired"
    assert read_notice(sign_notice(old, key), keys, max_age=9 * 86400) == old
    assert rejected(sign_notice(notice(issued_at=int(time.time()) - 61), key), keys,
                    max_age=60) == "expired"


def test_a_notice_from_the_future_is_refused(key: SigningKey, keys: dict[str, bytes]) -> None:
    assert rejected(sign_notice(notice(issued_at=int(time.time()) + 3600), key), keys) == (
        "malformed")


@pytest.mark.parametrize("claims", [
    {"status": "maybe"},
    {"status": "accepted", "docket_number": None},
    {"status": "rejected", "reason": None},
    {"filing_date": "25/03/2025"},
    {"filing_id": ""},
    {"filing_id": 17},
    {"iat": "yesterday"},
])
def test_malformed_claims_are_refused(claims: dict[str, object], key: SigningKey,
                                      keys: dict[str, bytes]) -> None:
    payload = {"jti": "N-9", "iat": int(time.time()), "iss": "zhuji", "filing_id": "F-1",
               "package_id": "p", "status": "accepted", "docket_number": "（2025）浙0681民初1号",
               "filing_date": "2025-03-25", "reason": None, **claims}
    token = jwt.encode(payload, key.private_pem, algorithm="ES256", headers={"kid": key.kid})
    assert rejected(token, keys) == "malformed"


@pytest.mark.parametrize("token", ["", "not.a.token", "a.b", "eyJhbGciOiJub25lIn0.e30."])
def test_garbage_is_malformed(token: str, keys: dict[str, bytes]) -> None:
    assert rejected(token, keys) == "malformed"


def test_an_hmac_notice_with_a_known_kid_is_refused(key: SigningKey,
                                                    keys: dict[str, bytes]) -> None:
    token = jwt.encode({"jti": "x", "iat": int(time.time()), "iss": "zhuji"}, "secret-" * 5,
                       algorithm="HS256", headers={"kid": key.kid})
    assert rejected(token, keys) == "bad_signature"
