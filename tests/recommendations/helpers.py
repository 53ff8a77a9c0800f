"""Purchase histories made through the real API and the sandbox, and reads of recommendations and aggregates."""

from __future__ import annotations

import httpx

from app.jobs import outbox
from app.recommendations.models import RecoItemStat, RecoMethodStat, RecoUserStat
from app.recommendations.schemas import RecommendationsOut
from tests.checkout.helpers import PIN, items, one_tap
from tests.jobs.helpers import wait_until
from tests.notify.helpers import pay, wait_for_status


async def paid_with_wechat(client: httpx.AsyncClient, who: dict, cart: list[tuple[dict, int]]) -> dict:
    """A one-tap with WeChat Pay, paid at the sandbox's cashier; answers the order once it is PAID."""
    response = await one_tap(client, who, {"items": items(*cart), "payment_method": "wechatpay"})
    assert response.status_code == 201, response.text
    created = response.json()
    await pay(client, created["payment"]["request_payment"]["package"].removeprefix("prepay_id="))
    await wait_for_status(client, created["order"]["id"], "PAID")
    return created["order"]


async def paid_with_wallet(client: httpx.AsyncClient, who: dict, cart: list[tuple[dict, int]]) -> dict:
    response = await one_tap(client, who, {"items": items(*cart), "payment_method": "wallet", "wallet_pin": PIN})
    assert response.status_code == 201, response.text
    return response.json()["order"]


async def applied(user_id: str, paid_orders: int) -> RecoUserStat:
    """Run the outbox now (the engine would within a second) until the user's aggregates count `paid_orders`."""
    async def counted():
        await outbox.process_pending()
        row = await RecoUserStat.get_or_none(user_id=user_id)
        return row if row is not None and row.paid_orders == paid_orders else None
    return await wait_until(counted)


async def failure_applied(user_id: str, method: str, code: str) -> RecoMethodStat:
    """Run the outbox until the user's last failure with `method` is `code`."""
    async def recorded():
        await outbox.process_pending()
        return await RecoMethodStat.get_or_none(user_id=user_id, method=method, last_failure_code=code)
    return await wait_until(recorded)


async def recommendations(client: httpx.AsyncClient, who: dict, cart: list[tuple[dict, int]] | None = None) -> dict:
    """GET /recommendations (with `?items=` for a cart), checked against its documented response model."""
    params = {"items": ",".join(f"{p['id']}:{q}" for p, q in cart)} if cart else None
    response = await client.get("/api/v1/recommendations", params=params, headers=who["headers"])
    assert response.status_code == 200, response.text
    body = response.json()
    RecommendationsOut.model_validate(body)
    return body


def methods_in_order(body: dict) -> list[tuple[str, str]]:
    choice = body["payment_method"]
    return [(choice["method"], choice["reason_code"])] + [(a["method"], a["reason_code"])
                                                          for a in choice["alternatives"]]


async def aggregates_of(user_id: str) -> dict:
    """Every aggregate row of the user, as comparable values."""
    user = await RecoUserStat.get(user_id=user_id)
    methods = await RecoMethodStat.filter(user_id=user_id).order_by("method")
    item_rows = await RecoItemStat.filter(user_id=user_id).order_by("kind", "key")
    return {
        "user": {name: getattr(user, name) for name in ("paid_orders", "hour_histogram", "recent_payments",
                                                         "last_paid_at", "city", "city_at")},
        "methods": [{name: getattr(row, name) for name in ("method", "paid_count", "score", "score_at",
                                                             "last_paid_at", "last_failure_code", "last_failure_at")}
                    for row in methods],
        "items": [{name: getattr(row, name) for name in ("kind", "key", "orders_count", "quantity", "spent_fen",
                                                           "first_bought_at", "last_bought_at")}
                  for row in item_rows],
    }
