"""Posting a package to a court: one attempt, and what to do next.

``deliver`` never raises for what the network or the court does; it says whether the court
took the package (2xx), refused it for a reason a person must read (4xx), or whether to try
again later (a network error, a timeout, 5xx, 408 or 429). Retrying is safe: the
Idempotency-Key makes the court answer a repeated package with its first answer.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

__all__ = ["DeliveryOutcome", "backoff_seconds", "deliver"]

CHUNK = 1 << 20
# A 4xx that says "not now" rather than "not this".
_TRANSIENT_4XX = {408, 425, 429}


@dataclass(frozen=True)
class DeliveryOutcome:
    kind: Literal["accepted", "refused", "retry"]
    status_code: int | None
    body: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _reason(response: httpx.Response, body: dict[str, Any]) -> str:
    error, detail = body.get("error"), body.get("detail")
    if isinstance(error, str) and isinstance(detail, str):
        return f"{error}: {detail}"
    for value in (detail, error, body.get("reason")):
        if isinstance(value, str) and value:
            return value
    text = response.text.strip()[:500]
    return f"HTTP {response.status_code}" + (f": {text}" if text else "")


def _outcome(response: httpx.Response) -> DeliveryOutcome:
    body = _json_body(response)
    status = response.status_code
    if 200 <= status < 300:
        return DeliveryOutcome("accepted", status, body, "")
    reason = _reason(response, body)
    if status >= 500 or status in _TRANSIENT_4XX:
        return DeliveryOutcome("retry", status, body, reason)
    # 4xx, and 1xx/3xx: nothing to gain from the same request again; a person must look.
    return DeliveryOutcome("refused", status, body, reason)


def deliver(endpoint: str, package: Path, *, idempotency_key: str, timeout: float = 30.0,
            client: httpx.Client | None = None) -> DeliveryOutcome:
    """POST the ZIP, streamed from disk, with its Idempotency-Key; one attempt."""
    headers = {"Content-Type": "application/zip", "Idempotency-Key": idempotency_key,
               "Content-Length": str(package.stat().st_size), "Accept": "application/json"}
    own = client is None
    http = client if client is not None else httpx.Client()
    try:
        response = http.post(endpoint, content=_chunks(package), headers=headers,
                             timeout=timeout)
    except httpx.TimeoutException as exc:
        return DeliveryOutcome("retry", None, {}, f"timeout after {timeout:g} s: "
                               f"{type(exc).__name__}")
    except httpx.TransportError as exc:
        return DeliveryOutcome("retry", None, {}, f"network error: {type(exc).__name__}: {exc}")
    finally:
        if own:
            http.close()
    return _outcome(response)


def backoff_seconds(attempt: int, *, base: float = 30.0, cap: float = 3600.0,
                    rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: exponential with full jitter.

    ``attempt`` counts the attempts made so far (1 after the first failure). The ceiling
    doubles each time from ``base`` up to ``cap``; the wait is uniform below it, so many
    senders that failed together do not come back together.
    """
    exponent = min(max(attempt, 1) - 1, 62)
    ceiling = min(cap, base * (2 ** exponent))
    return (rng or random).uniform(0.0, ceiling)
