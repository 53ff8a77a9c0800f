"""A stand-in for the mini-program: log in, fill the checkout page, pay with one tap, wait for PAID.

Usage: python miniprogram-stub/stub.py [--base http://127.0.0.1:8000] [--user alice] [--method wechatpay|wallet]
It calls only the public API (and, for WeChat Pay, the sandbox's cashier at /sandbox/wechat/control/pay,
which plays the person who confirms the payment in WeChat).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid

import httpx

DEMO_ADDRESS = {"userName": "张三", "telNumber": "13800138000", "provinceName": "广东省", "cityName": "广州市",
                "countyName": "天河区", "detailInfo": "体育西路1号", "postalCode": "510000"}


def show(title: str, data) -> None:
    print(f"— {title}")
    print(json.dumps(data, ensure_ascii=False, indent=2)[:1200])


def fail(response: httpx.Response) -> None:
    error = response.json().get("error", {})
    print(f"✗ {response.status_code} {error.get('code')}: {error.get('message')} — {error.get('remedy')}")
    sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="alice")
    parser.add_argument("--method", choices=("wechatpay", "wallet"), default="wechatpay")
    parser.add_argument("--pin", default=None, help="wallet PIN, when the amount is over the password-free limit")
    args = parser.parse_args()
    http = httpx.Client(base_url=args.base, timeout=15)

    # wx.login → code → our tokens (the sandbox logs in `<label>:<anything>` as the user named label)
    login = http.post("/api/v1/auth/login", json={"code": f"{args.user}:{uuid.uuid4().hex}"})
    if login.status_code != 200:
        fail(login)
    http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    print(f"✓ logged in as {login.json()['user']['id']} (new user: {login.json()['user']['is_new_user']})")

    prefill = http.get("/api/v1/checkout/prefill").json()
    if prefill["address"] is None:  # wx.chooseAddress, sent as it came
        http.post("/api/v1/me/addresses", json=DEMO_ADDRESS)
        prefill = http.get("/api/v1/checkout/prefill").json()
    show("checkout page, prefilled", {k: prefill[k] for k in ("address", "payment_method", "wallet", "offers",
                                                             "buy_again")})

    product = http.get("/api/v1/products", params={"limit": 1}).json()["items"][0]
    cart = {"items": [{"product_id": product["id"], "quantity": 2}], "payment_method": args.method}
    quote = http.post("/api/v1/checkout/quote", json=cart).json()
    print(f"✓ quote: {quote['items_total_fen']} − {quote['discount_fen']} = {quote['payable_fen']} fen")

    body = {**cart, "expected_payable_fen": quote["payable_fen"]}
    if args.pin:
        body["wallet_pin"] = args.pin
    tap = http.post("/api/v1/checkout/one-tap", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    if tap.status_code != 201:
        fail(tap)
    order, payment = tap.json()["order"], tap.json()["payment"]
    show("one tap", payment)
    if payment["method"] == "wechatpay":
        # wx.requestPayment(payment.request_payment): in the sandbox, the cashier confirms.
        prepay_id = payment["request_payment"]["package"].removeprefix("prepay_id=")
        paid = http.post("/sandbox/wechat/control/pay", json={"prepay_id": prepay_id, "result": "SUCCESS"})
        print(f"✓ paid at the cashier: {paid.json().get('trade_state')}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = http.get(f"/api/v1/orders/{order['id']}").json()["status"]
        if status != "PAYING":
            break
        time.sleep(0.5)
    print(f"✓ order {order['id']} is {status}")


if __name__ == "__main__":
    main()
