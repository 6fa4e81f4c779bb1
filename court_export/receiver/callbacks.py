"""The callback outbox: POST each decision notice to its platform until it lands.

Rows are written with the decision (court_export.receiver.records.issue_notice), so a
crash or a platform outage loses nothing: the loop, started in the application's
lifespan, retries with exponential backoff and full jitter. A 4xx answer is final (the
platform refused this notice, e.g. as already seen after a poll) and is kept with its
reason; 408, 429, 5xx and network errors are retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio.to_thread
import httpx
from sqlalchemy import func, select, update

from court_export.delivery import backoff_seconds
from court_export.receiver.context import Court
from court_export.receiver.models import Callback, Filing, Notice, utcnow
from court_export.receiver.records import current_token

log = logging.getLogger(__name__)
BATCH = 20
RETRYABLE_4XX = {408, 425, 429}


@dataclass(frozen=True)
class Claimed:
    id: int
    url: str
    token: str
    attempts: int


class CallbackSender:
    def __init__(self, court: Court, *, client: httpx.AsyncClient | None = None,
                 rng: random.Random | None = None) -> None:
        self.court = court
        self.client = client or httpx.AsyncClient(timeout=court.config.callback_timeout)
        self._own_client = client is None
        self.rng = rng
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Send now; callable from any thread (decisions run in the thread pool)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._event.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        interval = self.court.config.callback_interval
        while True:
            self._event.clear()
            delay = interval
            try:
                await self.send_due()
                delay = await anyio.to_thread.run_sync(self._seconds_to_next_due, interval)
            except Exception:
                log.exception("court callback round failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout=delay)

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def send_due(self) -> int:
        """One round: claim the due callbacks and POST each; the number sent."""
        claimed = await anyio.to_thread.run_sync(self._claim)
        for item in claimed:
            error, final = await self._post(item)
            await anyio.to_thread.run_sync(self._record, item, error, final)
        return len(claimed)

    async def _post(self, item: Claimed) -> tuple[str | None, bool]:
        """(error or None when delivered, whether the outcome is final)."""
        try:
            response = await self.client.post(item.url, json={"notice": item.token})
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}", False
        if response.is_success:
            return None, True
        error = f"HTTP {response.status_code}: {response.text[:500]}"
        final = 400 <= response.status_code < 500 and response.status_code not in RETRYABLE_4XX
        return error, final

    def _claim(self) -> list[Claimed]:
        now = utcnow()
        # Lease the row past the request timeout, so that a second receiver process
        # (or a crash mid-request) neither doubles nor drops the callback.
        lease = now + timedelta(seconds=self.court.config.callback_timeout + 30)
        claimed: list[Claimed] = []
        with self.court.db.session() as session:
            rows = session.execute(
                select(Callback, Notice, Filing)
                .join(Notice, Notice.notice_id == Callback.notice_id)
                .join(Filing, Filing.id == Notice.filing_id)
                .where(Callback.state == "pending", Callback.next_attempt_at <= now)
                .order_by(Callback.next_attempt_at).limit(BATCH)
            ).all()
            for callback, notice, filing in rows:
                taken = session.execute(
                    update(Callback)
                    .where(Callback.id == callback.id, Callback.state == "pending",
                           Callback.next_attempt_at == callback.next_attempt_at)
                    .values(next_attempt_at=lease)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    token = current_token(self.court, filing, notice, now=now)
                    claimed.append(Claimed(callback.id, callback.url, token, callback.attempts))
            session.commit()
        return claimed

    def _record(self, item: Claimed, error: str | None, final: bool) -> None:
        now = utcnow()
        values: dict[str, object]
        if error is None:
            values = {"state": "delivered", "finished_at": now, "last_error": None,
                      "attempts": item.attempts + 1}
        elif final:
            values = {"state": "refused", "finished_at": now, "last_error": error,
                      "attempts": item.attempts + 1}
            log.warning("platform refused court callback %s: %s", item.id, error)
        else:
            attempts = item.attempts + 1
            wait = backoff_seconds(attempts, base=self.court.config.callback_backoff_base,
                                   cap=self.court.config.callback_backoff_cap, rng=self.rng)
            values = {"attempts": attempts, "last_error": error,
                      "next_attempt_at": now + timedelta(seconds=wait)}
            log.info("court callback %s failed (%s); retry in %.1fs", item.id, error, wait)
        with self.court.db.session() as session:
            session.execute(update(Callback).where(Callback.id == item.id).values(**values))
            session.commit()

    def _seconds_to_next_due(self, interval: float) -> float:
        with self.court.db.session() as session:
            due: datetime | None = session.scalar(
                select(func.min(Callback.next_attempt_at)).where(Callback.state == "pending"))
        if due is None:
            return interval
        if due.tzinfo is None:  # min() bypasses the column type on some backends
            due = due.replace(tzinfo=utcnow().tzinfo)
        return max(0.0, min(interval, (due - utcnow()).total_seconds()))
