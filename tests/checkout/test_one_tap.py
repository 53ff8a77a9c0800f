"""One-tap: WeChat Pay parameters or an instant wallet payment, in one request (DESIGN.md §3)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import assert_error, user_headers


async def _stock(client, product_id, headers):
    return (await client.get(f"/api/v1/products/{product_id}", headers=headers)).json()["stock"]


async def test_wechatpay_one_tap_returns_request_payment_with_a_valid_pay_sign(client):
    cake = await product(client, price_fen=2590, stock=5)
    who = await shopper(client)
    response = await one_tap(client, who, {"items": items((cake, 2))})
    assert response.status_code == 201, response.text
    data = response.json()
    order, payment = data["order"], data["payment"]
    assert order["status"] == "PAYING"
    assert order["payable_fen"] == 5180 and order["payment_method"] == "wechatpay"
    assert order["address"]["city"] == "广州市"
    assert 6 <= len(order["out_trade_no"]) <= 32 and order["out_trade_no"].isalnum()
    assert order["expires_at"] and order["paid_at"] is None
    params = payment["request_payment"]
    assert payment["method"] == "wechatpay"
    assert set(params) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["signType"] == "RSA" and params["package"].startswith("prepay_id=")
    # Check paySign the way the WeChat client does, with the merchant public key and plain cryptography.
    keys = (await client.get("/sandbox/wechat/control/keys")).json()
    public_key = serialization.load_pem_public_key(keys["merchant"]["public_key_pem"].encode())
    message = f"{keys['appid']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    public_key.verify(base64.b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256())
    assert await _stock(client, cake["id"], who["headers"]) == 3


async def test_wallet_one_tap_pays_at_once_and_writes_the_ledger(client):
    tea = await product(client, price_fen=1800)
    who = await shopper(client, balance_fen=5000, pin=PIN, pin_free_limit_fen=2000)
    response = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet"})
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["payment"] == {"method": "wallet", "status": "PAID"}
    assert data["order"]["status"] == "PAID" and data["order"]["paid_at"]
    wallet = (await client.get("/api/v1/wallet", headers=who["headers"])).json()
    assert wallet["balance_fen"] == 3200
    ledger = (await client.get("/api/v1/wallet/ledger", headers=who["headers"])).json()["items"]
    assert ledger[0]["kind"] == "payment" and ledger[0]["amount_fen"] == -1800
    assert ledger[0]["order_id"] == data["order"]["id"] and ledger[0]["balance_after_fen"] == 3200


async def test_wallet_over_the_pin_free_limit_needs_the_pin(client):
    tea = await product(client, price_fen=2500)
    who = await shopper(client, balance_fen=5000, pin=PIN, pin_free_limit_fen=2000)
    body = {"items": items((tea, 1)), "payment_method": "wallet"}
    assert_error(await one_tap(client, who, body), 403, "WALLET_PIN_REQUIRED")
    error = assert_error(await one_tap(client, who, {**body, "wallet_pin": "111999"}), 403, "WALLET_PIN_WRONG")
    assert error["attempts_left"] == 4
    response = await one_tap(client, who, {**body, "wallet_pin": PIN})
    assert response.status_code == 201 and response.json()["order"]["status"] == "PAID"


async def test_wallet_without_pin_is_pin_not_set(client):
    tea = await product(client, price_fen=100)
    who = await shopper(client, balance_fen=5000)
    assert_error(await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet"}),
                 403, "WALLET_PIN_NOT_SET")


async def test_insufficient_balance_is_402_and_holds_nothing(client):
    tea = await product(client, price_fen=3000, stock=2)
    who = await shopper(client, balance_fen=1000, pin=PIN, pin_free_limit_fen=30000)
    error = assert_error(await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet"}),
                         402, "PAYMENT_INSUFFICIENT_BALANCE")
    assert "微信支付" in error["remedy"]
    assert await _stock(client, tea["id"], who["headers"]) == 2
    assert (await client.get("/api/v1/orders", headers=who["headers"])).json()["items"] == []
    assert (await client.get("/api/v1/wallet", headers=who["headers"])).json()["balance_fen"] == 1000


async def test_missing_address_is_address_required(client):
    tea = await product(client)
    who = await shopper(client, address=None)
    assert_error(await one_tap(client, who, {"items": items((tea, 1))}), 422, "ADDRESS_REQUIRED")


async def test_unknown_method_is_payment_method_unavailable(client):
    tea = await product(client)
    who = await shopper(client)
    error = assert_error(await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "alipay"}),
                         422, "PAYMENT_METHOD_UNAVAILABLE")
    assert error["payment_method"] == "alipay"


async def test_one_tap_switched_off_in_preferences(client):
    tea = await product(client)
    who = await shopper(client)
    await client.patch("/api/v1/me/preferences", json={"one_tap_enabled": False}, headers=who["headers"])
    assert_error(await one_tap(client, who, {"items": items((tea, 1))}), 409, "ONE_TAP_DISABLED")


async def test_expected_payable_mismatch_is_price_changed_with_the_fresh_quote(client):
    tea = await product(client, price_fen=1234)
    who = await shopper(client)
    error = assert_error(await one_tap(client, who, {"items": items((tea, 1)), "expected_payable_fen": 1000}),
                         409, "PRICE_CHANGED")
    assert error["quote"]["payable_fen"] == 1234
    ok = await one_tap(client, who, {"items": items((tea, 1)), "expected_payable_fen": 1234})
    assert ok.status_code == 201


async def test_default_payment_method_comes_from_preferences(client):
    tea = await product(client, price_fen=500)
    who = await shopper(client, balance_fen=1000, pin=PIN, pin_free_limit_fen=1000)
    await client.patch("/api/v1/me/preferences", json={"default_payment_method": "wallet"}, headers=who["headers"])
    response = await one_tap(client, who, {"items": items((tea, 1))})
    assert response.json()["payment"] == {"method": "wallet", "status": "PAID"}


async def test_reorder_repeats_a_past_order_at_todays_price(client):
    from tests.factories import operator_headers

    tea = await product(client, price_fen=800)
    who = await shopper(client)
    first = (await one_tap(client, who, {"items": items((tea, 3))})).json()["order"]
    await client.patch(f"/admin/v1/products/{tea['id']}", json={"price_fen": 900},
                       headers=await operator_headers(client))
    again = await one_tap(client, who, {"reorder_of": first["id"]})
    assert again.status_code == 201
    assert again.json()["order"]["lines"][0]["quantity"] == 3
    assert again.json()["order"]["payable_fen"] == 2700


async def test_reorder_of_someone_elses_order_is_not_found(client):
    tea = await product(client)
    owner = await shopper(client)
    order = (await one_tap(client, owner, {"items": items((tea, 1))})).json()["order"]
    stranger = await shopper(client)
    assert_error(await one_tap(client, stranger, {"reorder_of": order["id"]}), 404, "NOT_FOUND")


async def test_items_and_reorder_of_are_exclusive(client):
    who = await shopper(client)
    error = assert_error(await one_tap(client, who, {}), 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "body", "reason": "send either items or reorder_of"}]


async def test_checks_run_in_the_contract_order(client):
    # No token beats no key; no key beats a bad body; a bad body beats everything after it.
    response = await client.post("/api/v1/checkout/one-tap", json={})
    assert_error(response, 401, "AUTH_TOKEN_MISSING")
    headers = await user_headers(client)
    assert_error(await client.post("/api/v1/checkout/one-tap", content=b"{", headers=headers),
                 400, "IDEMPOTENCY_KEY_REQUIRED")
    assert_error(await client.post("/api/v1/checkout/one-tap", content=b"{",
                                   headers={**headers, "Idempotency-Key": "k1"}), 400, "MALFORMED_JSON")
