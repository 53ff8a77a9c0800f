"""Injected faults: a misbehaving WeChat (errors, timeouts, wrong bill hashes) and network (lost, doubled, late, reordered notifications)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

API_FAULTS = ("api_error", "api_timeout")
NOTIFY_FAULTS = ("notify_drop", "notify_duplicate", "notify_delay", "notify_reorder")
BILL_FAULTS = ("bill_bad_hash",)

# Names a fault's `apis` may list (README.md documents them).
MINIPROGRAM_APIS = ("jscode2session", "token", "phone")
PAY_V3_APIS = ("jsapi", "query", "close", "refund", "refund_query", "tradebill", "billdownload")
PAY_V2_APIS = ("unifiedorder", "orderquery", "closeorder", "v2_refund", "v2_refund_query", "downloadbill")
API_NAMES = MINIPROGRAM_APIS + PAY_V3_APIS + PAY_V2_APIS
NOTIFY_NAMES = ("pay_notify", "refund_notify", "v2_pay_notify", "v2_refund_notify")
BILL_NAMES = ("tradebill",)
KNOWN_NAMES = {**dict.fromkeys(API_FAULTS, API_NAMES), **dict.fromkeys(NOTIFY_FAULTS, NOTIFY_NAMES),
               **dict.fromkeys(BILL_FAULTS, BILL_NAMES)}

DEFAULT_DELAY_S = {"api_timeout": 10.0, "notify_delay": 5.0}


class FaultInputError(ValueError):
    pass


@dataclass
class Fault:
    id: str
    kind: str
    rate: float
    apis: list[str] | None
    delay_s: float | None

    def hits(self, name: str) -> bool:
        return self.apis is None or name in self.apis

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "rate": self.rate, "apis": self.apis, "delay_s": self.delay_s}


def _number(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultInputError(f"{field} must be a number")
    return float(value)


class Faults:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1
        self._rng = rng or random.Random()

    def add(self, payload) -> Fault:
        if not isinstance(payload, dict):
            raise FaultInputError("body must be a JSON object")
        kind = payload.get("kind")
        if kind not in KNOWN_NAMES:
            raise FaultInputError(f"kind must be one of {', '.join(KNOWN_NAMES)}")
        rate = _number(payload.get("rate"), "rate")
        if not 0 <= rate <= 1:
            raise FaultInputError("rate must lie between 0 and 1")
        apis = payload.get("apis")
        known = KNOWN_NAMES[kind]
        if apis is not None:
            if not isinstance(apis, list) or not apis or not all(isinstance(a, str) for a in apis):
                raise FaultInputError("apis must be a non-empty list of names")
            unknown = [a for a in apis if a not in known]
            if unknown:
                raise FaultInputError(f"unknown apis for {kind}: {', '.join(unknown)}; known: {', '.join(known)}")
        delay_s = payload.get("delay_s")
        if delay_s is not None:
            delay_s = _number(delay_s, "delay_s")
            if delay_s < 0:
                raise FaultInputError("delay_s must not be negative")
        elif kind in DEFAULT_DELAY_S:
            delay_s = DEFAULT_DELAY_S[kind]
        fault = Fault(id=f"fault_{self._next_id}", kind=kind, rate=rate, apis=apis, delay_s=delay_s)
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def list(self) -> list[dict]:
        return [f.to_dict() for f in self._faults]

    def clear(self) -> None:
        self._faults.clear()

    def remove(self, fault_id: str) -> bool:
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) != before

    def pick(self, kind: str, name: str) -> Fault | None:
        """The first fault of `kind` aimed at `name` whose dice roll hits this time."""
        for fault in self._faults:
            if fault.kind == kind and fault.hits(name) and self._rng.random() < fault.rate:
                return fault
        return None


async def with_api_faults(faults: Faults, api: str, error_answer: Callable[[], T], answer: Callable[[], Awaitable[T]]) -> T:
    """api_error answers `error_answer()` without touching any state; api_timeout lets the call
    take effect and then holds the answer back for delay_s, as a slow network would."""
    if faults.pick("api_error", api):
        return error_answer()
    result = await answer()
    timeout = faults.pick("api_timeout", api)
    if timeout:
        await asyncio.sleep(timeout.delay_s or 0)
    return result
