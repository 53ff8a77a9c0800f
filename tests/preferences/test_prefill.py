"""Checkout prefill: the default address, invoice, payment method, wallet, offers and buy-again in one round trip
(DESIGN.md §3)."""

from __future__ import annotations

from tests.factories import assert_error, user_headers
from tests.preferences.helpers import add_address

EMPTY_WALLET = {"balance_fen": 0, "pin_set": False, "pin_free_limit_fen": 0}
EMPTY_WALLET_LOW = {"method": "wallet", "reason_code": "BALANCE_LOW", "reason": "余额 ¥0.00，暂不足以支付"}
NEW_USER_CHOICE = {"method": "wechatpay", "reason_code": "NEW_USER", "reason": "首次下单推荐微信支付",
                   "alternatives": [EMPTY_WALLET_LOW]}


async def test_a_new_user_gets_wechat_pay_and_nothing_else(client):
    response = await client.get("/api/v1/checkout/prefill", headers=await user_headers(client))
    assert response.status_code == 200
    assert response.json() == {
        "address": None,
        "invoice": None,
        "payment_method": NEW_USER_CHOICE,
        "wallet": EMPTY_WALLET,
        "offers": [],
        "buy_again": [],
    }


async def test_a_user_with_preferences_gets_them_filled_in(client):
    headers = await user_headers(client)
    await add_address(client, headers)
    default = await add_address(client, headers, name="默认收件人", is_default=True)
    invoice = (await client.put("/api/v1/me/invoice", headers=headers, json={"type": 1, "title": "张三"})).json()
    await client.patch("/api/v1/me/preferences", headers=headers, json={"default_payment_method": "wallet"})

    response = await client.get("/api/v1/checkout/prefill", headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "address": default,
        "invoice": invoice,
        # The default is the wallet, but an empty wallet is unusable (rule 1): the recommendation decides, and says so.
        "payment_method": {"method": "wechatpay", "reason_code": "BALANCE_LOW", "reason": "余额不足，推荐微信支付",
                           "alternatives": [EMPTY_WALLET_LOW]},
        "wallet": EMPTY_WALLET,
        "offers": [],
        "buy_again": [],
    }


async def test_prefill_follows_a_deleted_default_and_a_cleared_method(client):
    headers = await user_headers(client)
    first = await add_address(client, headers)
    second = await add_address(client, headers, is_default=True)
    await client.patch("/api/v1/me/preferences", headers=headers, json={"default_payment_method": "wallet"})
    await client.delete(f"/api/v1/me/addresses/{second['id']}", headers=headers)
    await client.patch("/api/v1/me/preferences", headers=headers, json={"default_payment_method": None})

    data = (await client.get("/api/v1/checkout/prefill", headers=headers)).json()
    assert data["address"] == {**first, "is_default": True}
    assert data["payment_method"] == NEW_USER_CHOICE


async def test_prefill_without_a_default_address_has_none(client):
    headers = await user_headers(client)
    address = await add_address(client, headers)
    await client.put(f"/api/v1/me/addresses/{address['id']}", headers=headers,
                     json={"name": "张三", "phone": "13800138000", "detail": "某路1号", "is_default": False})
    assert (await client.get("/api/v1/checkout/prefill", headers=headers)).json()["address"] is None


async def test_prefill_needs_a_token(client):
    assert_error(await client.get("/api/v1/checkout/prefill"), 401, "AUTH_TOKEN_MISSING")
