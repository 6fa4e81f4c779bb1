"""Tests that need a service or a system package: skipped where it is missing, failed in CI."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Skip for ``reason``; but CI (ODR_TEST_REQUIRE_SERVICES=1) provides every service, so
    there a missing one fails the run instead of quietly testing less."""
    if os.environ.get("ODR_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"ODR_TEST_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)
