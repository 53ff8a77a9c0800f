"""Delivery of notifications to the merchant's notify_url: WeChat's retry schedule, notify faults, the attempt log."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from .crypto import wechatpay_headers
from .faults import Faults
from .formats import parse_xml, utc_iso
from .keys import SandboxKeys

# WeChat Pay's published schedule after the first attempt (24h4m in all), divided by the time factor.
RETRY_SCHEDULE_S = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600)
SEND_TIMEOUT_S = 5.0
MAX_LOGGED_RESPONSE_CHARS = 65536
MAX_LOGGED_ATTEMPTS = 20000  # the oldest half is forgotten past twice this
MIN_REORDER_HOLD_S = 1.0  # a reordered attempt waits for the next one at least this long (real seconds)


@dataclass
class Notification:
    api: str  # the name notify faults aim at: pay_notify, refund_notify, v2_pay_notify, v2_refund_notify
    out_trade_no: str
    event_type: str
    url: str
    body: str  # the same raw body for every attempt, as WeChat's retries
    is_v3: bool  # APIv3: JSON signed afresh in headers each attempt; APIv2: XML signed inside the body
    acknowledged: bool = False


class Notifier:
    def __init__(
        self,
        keys: SandboxKeys,
        faults: Faults,
        time_factor: float,
        spawn: Callable[[Awaitable], object],
        http: Callable[[], httpx.AsyncClient],
    ) -> None:
        self._keys = keys
        self._faults = faults
        self._time_factor = time_factor
        self._spawn = spawn
        self._http = http
        self._ids = itertools.count(1)
        self.attempts: list[dict] = []
        self._notification_of: dict[str, Notification] = {}
        self._held: list[asyncio.Event] = []

    def dispatch(self, notification: Notification) -> None:
        self._spawn(self._deliver_until_acknowledged(notification))

    def list(self, out_trade_no: str | None = None) -> list[dict]:
        return [a for a in self.attempts if out_trade_no is None or a["out_trade_no"] == out_trade_no]

    async def resend(self, attempt_id: str) -> dict | None:
        """One more attempt, signed anew; faults are not applied to an operator's resend."""
        notification = self._notification_of.get(attempt_id)
        if notification is None:
            return None
        record, acknowledged = await self._send(notification)
        notification.acknowledged = notification.acknowledged or acknowledged
        return record

    async def _deliver_until_acknowledged(self, notification: Notification) -> None:
        for wait_s in (0, *RETRY_SCHEDULE_S):
            if wait_s:
                await asyncio.sleep(wait_s / self._time_factor)
            if await self._attempt_with_faults(notification):
                notification.acknowledged = True
                return

    async def _attempt_with_faults(self, notification: Notification) -> bool:
        api = notification.api
        if self._faults.pick("notify_drop", api):
            record = self._new_record(notification, self._headers(notification))
            record["error"] = "dropped by fault notify_drop"
            return False
        delay = self._faults.pick("notify_delay", api)
        if delay:
            await asyncio.sleep(delay.delay_s or 0)
        reordered = self._faults.pick("notify_reorder", api) is not None
        if reordered:
            await self._hold_until_next_sent()
        copies = 2 if self._faults.pick("notify_duplicate", api) else 1
        results = await asyncio.gather(*(self._send(notification) for _ in range(copies)))
        if not reordered:
            self._release_held()
        return any(acknowledged for _, acknowledged in results)

    async def _hold_until_next_sent(self) -> None:
        """notify_reorder: wait for the next attempt to go out, or for the first retry interval
        (at least MIN_REORDER_HOLD_S, so a large time factor does not make the hold vanish)."""
        released = asyncio.Event()
        self._held.append(released)
        try:
            hold_s = max(RETRY_SCHEDULE_S[0] / self._time_factor, MIN_REORDER_HOLD_S)
            await asyncio.wait_for(released.wait(), hold_s)
        except TimeoutError:
            pass
        finally:
            if released in self._held:
                self._held.remove(released)

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for event in held:
            event.set()

    def _headers(self, notification: Notification) -> dict[str, str]:
        if not notification.is_v3:
            return {"Content-Type": "text/xml; charset=utf-8"}
        signed = wechatpay_headers(
            self._keys.platform_private_key, self._keys.platform_public_key_id, notification.body
        )
        return {"Content-Type": "application/json", **signed}

    def _new_record(self, notification: Notification, headers: dict[str, str]) -> dict:
        record = {
            "id": f"att_{next(self._ids):06d}",
            "out_trade_no": notification.out_trade_no,
            "event_type": notification.event_type,
            "url": notification.url,
            "request": {"headers": headers, "body": notification.body},
            "response": None,
            "error": None,
            "sent_at": utc_iso(time.time()),
        }
        self.attempts.append(record)
        self._notification_of[record["id"]] = notification
        self._forget_oldest()
        return record

    async def _send(self, notification: Notification) -> tuple[dict, bool]:
        headers = self._headers(notification)
        record = self._new_record(notification, headers)
        try:
            response = await self._http().post(
                notification.url, content=notification.body.encode("utf-8"), headers=headers,
                timeout=SEND_TIMEOUT_S,
            )
        except httpx.HTTPError as exc:
            record["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return record, False
        record["response"] = {"status": response.status_code, "body": response.text[:MAX_LOGGED_RESPONSE_CHARS]}
        return record, self._is_acknowledged(notification, response)

    @staticmethod
    def _is_acknowledged(notification: Notification, response: httpx.Response) -> bool:
        if notification.is_v3:
            return response.status_code in (200, 204)
        answer = parse_xml(response.text) if response.status_code == 200 else None
        return bool(answer) and answer.get("return_code") == "SUCCESS"

    def _forget_oldest(self) -> None:
        if len(self.attempts) <= 2 * MAX_LOGGED_ATTEMPTS:
            return
        forgotten, self.attempts = self.attempts[:MAX_LOGGED_ATTEMPTS], self.attempts[MAX_LOGGED_ATTEMPTS:]
        for record in forgotten:
            self._notification_of.pop(record["id"], None)
