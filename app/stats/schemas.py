"""Response models of the statistics API (DESIGN §6.1): what the reports answer, for the OpenAPI document."""

from __future__ import annotations

from datetime import date
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field


class Totals(BaseModel):
    quotes: int = Field(description="quote answers 200")
    orders: int = Field(description="one-taps that created an order (replays do not count)")
    paid: int = Field(description="orders that reached PAID, by the day they did")
    gmv_fen: int = Field(description="the payable of those orders")
    refunds_fen: int = Field(description="refunds that reached SUCCESS, by that day (automatic refunds of payments "
                                         "after close excluded)")
    net_fen: int = Field(description="gmv_fen − refunds_fen")


class Conversion(BaseModel):
    order_rate: Optional[float] = Field(description="orders ÷ quotes; null without quotes")
    pay_rate: Optional[float] = Field(description="orders created in the range paid by now ÷ orders created")


class MethodFigures(BaseModel):
    attempts: int = Field(description="one-taps that reached the payment step with the method")
    paid: int
    success_rate: Optional[float] = Field(description="paid ÷ attempts; null without attempts")
    failures: dict[str, int] = Field(description="by reason: PAYMENT_INSUFFICIENT_BALANCE, WALLET_PIN_WRONG, "
                                                 "WALLET_PIN_LOCKED, PAYMENT_PROVIDER_UNAVAILABLE, EXPIRED_UNPAID, "
                                                 "CANCELLED, USER_ABANDONED")


class Percentiles(BaseModel):
    p50: Optional[int] = Field(description="milliseconds; null without notifications")
    p95: Optional[int]


class NotifyLatency(BaseModel):
    success_to_received: Percentiles = Field(description="WeChat's success_time → notification received")
    received_to_paid: Percentiles = Field(description="notification received → order PAID")


class StatsSummaryOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    totals: Totals
    conversion: Conversion
    by_method: dict[str, MethodFigures]
    notify_latency_ms: NotifyLatency


class StatsDayOut(Totals):
    date: date
    conversion: Conversion
    by_method: dict[str, MethodFigures]
    notify_latency_ms: NotifyLatency


class StatsDailyOut(BaseModel):
    items: list[StatsDayOut]
