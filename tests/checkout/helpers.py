"""Shoppers, carts and one-tap calls for the checkout tests, through the public API only."""

from __future__ import annotations

import uuid

import httpx

from tests.factories import bind_phone, login, make_product, operator_headers, unique_label

PIN = "258147"
ADDRESS = {"userName": "张三", "telNumber": "13800138000", "provinceName": "广东省", "cityName": "广州市",
           "countyName": "天河区", "detailInfo": "体育西路1号", "postalCode": "510000", "nationalCode": "440106"}


async def shopper(client: httpx.AsyncClient, *, address: dict | None = ADDRESS, balance_fen: int = 0,
                  pin: str | None = None, pin_free_limit_fen: int = 0) -> dict:
    """A logged-in user (`headers`, `user_id`) with a default address and, if asked, a funded wallet."""
    tokens = await login(client)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    user_id = tokens["user"]["id"]
    if address is not None:
        response = await client.post("/api/v1/me/addresses", json=address, headers=headers)
        assert response.status_code == 201, response.text
    if balance_fen:
        response = await client.post(f"/admin/v1/wallets/{user_id}/credit",
                                     json={"amount_fen": balance_fen, "reason": "test"},
                                     headers=await operator_headers(client))
        assert response.status_code == 201, response.text
    if pin:
        await bind_phone(client, headers)
        assert (await client.put("/api/v1/wallet/pin", json={"pin": pin}, headers=headers)).status_code == 204
        if pin_free_limit_fen:
            response = await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": pin_free_limit_fen,
                                                                   "pin": pin}, headers=headers)
            assert response.status_code == 200, response.text
    return {"headers": headers, "user_id": user_id}


async def product(client: httpx.AsyncClient, **overrides) -> dict:
    """A product in a category of its own, so promotions made by other tests cannot touch its price."""
    overrides.setdefault("category", unique_label("cat"))
    return await make_product(client, **overrides)


async def one_tap(client: httpx.AsyncClient, who: dict, body: dict, key: str | None = None) -> httpx.Response:
    headers = {**who["headers"], "Idempotency-Key": key or uuid.uuid4().hex}
    return await client.post("/api/v1/checkout/one-tap", json=body, headers=headers)


def items(*pairs: tuple[dict, int]) -> list[dict]:
    return [{"product_id": p["id"], "quantity": q} for p, q in pairs]
