"""Rate limits for logins and one-time codes, on the ``limits`` library.

Memory storage in the embedded default; ``ODR_RATELIMIT_STORAGE_URL=redis://...`` shares
the counters between workers in production.
"""

from __future__ import annotations

from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from portal.config import get_settings

LOGIN_PER_ACCOUNT = parse("5/5 minutes")
LOGIN_PER_CLIENT = parse("30/5 minutes")
CODE_SEND_PER_PHONE = parse("1/minute")
CODE_SEND_PER_PHONE_HOURLY = parse("5/hour")
CODE_SEND_PER_CLIENT = parse("20/hour")


@lru_cache(maxsize=1)
def limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(get_settings().ratelimit_storage_url))


def hit(item: RateLimitItem, *keys: str) -> bool:
    """Count one attempt; False when the limit is already used up."""
    return limiter().hit(item, *keys)


def allowed(item: RateLimitItem, *keys: str) -> bool:
    return limiter().test(item, *keys)


def reset() -> None:
    limiter().storage.reset()
