"""Every figure of DESIGN §6.1 against orders made through the real flow: the sandbox's WeChat Pay, the wallet's
balance and PIN, expiry, cancels, the cashier's cancel event, refunds and replays of one Idempotency-Key."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

from app.orders.models import OrderTransition
from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import assert_error
from tests.jobs.helpers import make_due, sandbox_fault, wait_until
from tests.notify.helpers import pay, wait_for_status
from tests.refunds.helpers import refund, wait_refund
from tests.stats.helpers import delta, drained, quiet, stored, summary, today


async def _wechat_one_tap(client, who, tea, key=None) -> dict:
    response = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wechatpay"}, key=key)
    assert response.status_code == 201, response.text
    return response.json()


async def test_every_figure_counts_what_the_real_flow_did(client, server):
    tea = await product(client, price_fen=1200, stock=100)
    cake = await product(client, price_fen=800, stock=100)
    who = await shopper(client)
    rich = await shopper(client, balance_fen=5000, pin=PIN, pin_free_limit_fen=5000)
    poor = await shopper(client, balance_fen=100, pin=PIN, pin_free_limit_fen=5000)
    careless = await shopper(client, balance_fen=5000, pin=PIN)
    first, last = today() - timedelta(days=1), today()  # the two days, should the test cross midnight in Shanghai
    await quiet(server)
    before, counted_before = await summary(client, first, last), await stored(first, last)

    # quotes answered 200 count; a refused one does not
    for _ in range(3):
        response = await client.post("/api/v1/checkout/quote", json={"items": items((tea, 1))}, headers=who["headers"])
        assert response.status_code == 200, response.text
    refused = await client.post("/api/v1/checkout/quote", json={"items": [{"product_id": "prd_none", "quantity": 1}]},
                                headers=who["headers"])
    assert refused.status_code >= 400
    # a WeChat Pay order paid at the sandbox's cashier; its key replayed twice makes no other order
    key = uuid.uuid4().hex
    paid = await _wechat_one_tap(client, who, tea, key)
    for _ in range(2):
        replay = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wechatpay"}, key=key)
        assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    await pay(client, paid["payment"]["request_payment"]["package"].removeprefix("prepay_id="))
    await wait_for_status(client, paid["order"]["id"], "PAID")
    # a wallet order paid at once (under its PIN-free limit)
    wallet_order = await one_tap(client, rich, {"items": items((cake, 1)), "payment_method": "wallet"})
    assert wallet_order.status_code == 201, wallet_order.text
    # the wallet's failures: balance, then wrong PINs until the wallet locks
    assert_error(await one_tap(client, poor, {"items": items((cake, 1)), "payment_method": "wallet"}),
                 402, "PAYMENT_INSUFFICIENT_BALANCE")
    pin_codes = []
    while not pin_codes or pin_codes[-1] != "WALLET_PIN_LOCKED":
        response = await one_tap(client, careless, {"items": items((tea, 1)), "payment_method": "wallet",
                                                    "wallet_pin": "000000"})
        pin_codes.append(response.json()["error"]["code"])
        assert len(pin_codes) <= 6, pin_codes
    # WeChat Pay unavailable: the order is made and closed at once
    async with sandbox_fault(client, "api_error", 1.0, ["jsapi"]):
        assert_error(await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wechatpay"}),
                     503, "PAYMENT_PROVIDER_UNAVAILABLE")
    # cancelled by the user; left at the cashier (reported twice, recorded once) and then expired
    cancelled = await _wechat_one_tap(client, who, tea)
    assert (await client.post(f"/api/v1/orders/{cancelled['order']['id']}/cancel",
                              headers=who["headers"])).status_code == 200
    abandoned = await _wechat_one_tap(client, who, tea)
    for _ in range(2):
        reported = await client.post(f"/api/v1/orders/{abandoned['order']['id']}/events",
                                     json={"event": "payment_cancelled"}, headers=who["headers"])
        assert reported.status_code == 204, reported.text
    await make_due(abandoned["order"]["id"], expired=True)
    await wait_for_status(client, abandoned["order"]["id"], "CLOSED")
    # refunds: the wallet's succeed at once, WeChat Pay's on its notification or query
    wallet_refund = await refund(client, wallet_order.json()["order"]["id"], 300)
    assert wallet_refund.status_code == 201 and wallet_refund.json()["status"] == "SUCCESS", wallet_refund.text
    wechat_refund = await refund(client, paid["order"]["id"], 500)
    assert wechat_refund.status_code == 201, wechat_refund.text
    await wait_refund(client, paid["order"]["id"], wechat_refund.json()["id"])
    await drained(server)

    after, counted_after = await summary(client, first, last), await stored(first, last)
    pin_failures = Counter(pin_codes)
    assert {path: change for path, change in delta(before, after).items()
            if not path.startswith("notify_latency_ms")} == {
        "totals.quotes": 3, "totals.orders": 5, "totals.paid": 2, "totals.gmv_fen": 2000, "totals.refunds_fen": 800,
        "totals.net_fen": 1200,
        "by_method.wechatpay.attempts": 4, "by_method.wechatpay.paid": 1,
        "by_method.wechatpay.failures.PAYMENT_PROVIDER_UNAVAILABLE": 1,
        "by_method.wechatpay.failures.CANCELLED": 1, "by_method.wechatpay.failures.USER_ABANDONED": 1,
        "by_method.wechatpay.failures.EXPIRED_UNPAID": 1,
        "by_method.wallet.attempts": 2 + len(pin_codes), "by_method.wallet.paid": 1,
        "by_method.wallet.failures.PAYMENT_INSUFFICIENT_BALANCE": 1,
        **{f"by_method.wallet.failures.{code}": count for code, count in pin_failures.items()},
    }
    assert pin_failures["WALLET_PIN_LOCKED"] == 1 and pin_failures["WALLET_PIN_WRONG"] >= 1
    # pay_rate's numerator: the two paid orders were made in the range
    assert counted_after.get("paid_of_created", 0) - counted_before.get("paid_of_created", 0) == 2
    totals, conversion = after["totals"], after["conversion"]
    assert conversion["order_rate"] == round(totals["orders"] / totals["quotes"], 4)
    assert conversion["pay_rate"] == round(counted_after["paid_of_created"] / totals["orders"], 4)
    for method, figures in after["by_method"].items():
        assert figures["success_rate"] == round(figures["paid"] / figures["attempts"], 4), method

    # the notification latency: one sample of each stage when a notification (not a query) paid the order
    by_notification = await OrderTransition.exists(order_id=paid["order"]["id"], to_status="PAID",
                                                   cause="notification")
    for stage in ("success_to_received", "received_to_paid"):
        samples = sum(count for name, count in counted_after.items() if name.startswith(f"latency.{stage}."))
        samples -= sum(count for name, count in counted_before.items() if name.startswith(f"latency.{stage}."))
        assert samples == (1 if by_notification else 0), stage
        if by_notification:
            assert after["notify_latency_ms"][stage]["p50"] is not None
            assert 0 <= after["notify_latency_ms"][stage]["p50"] <= after["notify_latency_ms"][stage]["p95"]


async def test_the_jobs_of_the_server_keep_the_figures_without_help(client, server):
    """No test-side outbox run: the session's engine applies the events and folds the counters by itself."""
    tea = await product(client, price_fen=900, stock=10)
    who = await shopper(client, balance_fen=5000, pin=PIN, pin_free_limit_fen=5000)
    await quiet(server)
    before = await summary(client, today(), today())
    assert (await client.post("/api/v1/checkout/quote", json={"items": items((tea, 1))},
                              headers=who["headers"])).status_code == 200
    assert (await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet"})).status_code == 201

    async def counted():
        now = await summary(client, today(), today())
        changes = delta(before, now)
        return changes.get("totals.quotes") == 1 and changes.get("totals.gmv_fen") == 900
    await wait_until(counted, timeout_s=40, interval_s=0.5)  # the fold is due every 15 s
