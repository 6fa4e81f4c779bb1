from __future__ import annotations

from argon2 import PasswordHasher

from court_export.receiver.auth import LoginThrottle, check_password

HASH = PasswordHasher().hash("s3cret-pass")


def test_check_password_needs_the_right_user_and_password() -> None:
    clerks = {"wang": HASH, "broken": "not-a-hash"}
    assert check_password(clerks, "wang", "s3cret-pass")
    assert not check_password(clerks, "wang", "wrong")
    assert not check_password(clerks, "li", "s3cret-pass")
    assert not check_password(clerks, "broken", "s3cret-pass")


def test_throttle_blocks_after_the_limit_and_forgets_on_success() -> None:
    throttle = LoginThrottle(limit=2, window=60)
    assert not throttle.blocked("wang")
    throttle.failed("wang")
    throttle.failed("wang")
    assert throttle.blocked("wang") and not throttle.blocked("li")
    throttle.succeeded("wang")
    assert not throttle.blocked("wang")


def test_throttle_window_expires() -> None:
    throttle = LoginThrottle(limit=1, window=0.0)
    throttle.failed("wang")
    assert not throttle.blocked("wang")
