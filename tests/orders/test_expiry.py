"""Expiry (DESIGN §3): query first, close at WeChat Pay, then here with stock and budgets given back."""

from __future__ import annotations

from datetime import timedelta

from app.orders import jobs
from app.orders.models import Order
from app.promotions.models import Promotion
from tests.checkout.helpers import items, one_tap, product, shopper
from tests.factories import make_promotion
from tests.jobs.helpers import make_due, now, park, sandbox_fault, status_of, wait_until
from tests.notify.helpers import admin_order, pay, wechat_order


async def _stock(client, product_id: str, headers: dict) -> int:
    return (await client.get(f"/api/v1/products/{product_id}", headers=headers)).json()["stock"]


async def _expire_now(server, order_id: str) -> str:
    """One sweep's work on this order, as if its expiry had passed: claim, then run the job.

    The order stays parked (due in an hour) so the session's engine leaves it alone; the claim looks ahead.
    """
    await Order.filter(id=order_id).update(expires_at=now() - timedelta(seconds=1),
                                           next_query_at=now() + timedelta(hours=1))
    [claim] = await jobs.claim_due(now() + timedelta(hours=2), order_ids=[order_id])
    return await jobs.run_due_order(server.app.ctx.deps, order_id, claim.lease_until)


async def test_expired_order_is_closed_at_wechat_pay_and_gives_back_stock(client):
    made = await wechat_order(client, quantity=2)
    order, who, tea = made["order"], made["who"], made["product"]
    assert await _stock(client, tea["id"], who["headers"]) == 98
    await make_due(order["id"], expired=True)  # the session's engine sweeps every second
    await wait_until(lambda: _is(order["id"], "CLOSED"))
    detail = await admin_order(client, order["id"])
    assert detail["close_cause"] == "expiry" and detail["transitions"][-1]["cause"] == "expiry"
    assert await _stock(client, tea["id"], who["headers"]) == 100
    late = await client.post("/sandbox/wechat/control/pay", json={"prepay_id": made["prepay_id"], "result": "SUCCESS"})
    assert late.status_code == 409 and late.json()["code"] == "ORDER_CLOSED"  # closed at WeChat Pay too


async def test_expiry_gives_back_the_promotion_budget(client, server):
    tea = await product(client, price_fen=1000, stock=10)
    promotion = await make_promotion(client, amount_off_fen=300, budget_fen=1000,
                                     conditions={"categories": [tea["category"]]})
    who = await shopper(client)
    response = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wechatpay"})
    assert response.status_code == 201, response.text
    order_id = response.json()["order"]["id"]
    assert (await Promotion.get(id=promotion["id"])).budget_used_fen == 300
    await park(order_id)
    assert await _expire_now(server, order_id) == "closed"
    assert (await Promotion.get(id=promotion["id"])).budget_used_fen == 0


async def test_a_payment_found_at_expiry_wins_over_the_close(client, server):
    made = await wechat_order(client)
    order, who, tea = made["order"], made["who"], made["product"]
    await park(order["id"])
    async with sandbox_fault(client, "notify_drop", apis=["pay_notify"]):
        paid = await pay(client, made["prepay_id"])
        assert await _expire_now(server, order["id"]) == "paid"
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "PAID" and detail["transaction_id"] == paid["transaction_id"]
    assert detail["transitions"][-1]["cause"] == "expiry_query"
    assert await _stock(client, tea["id"], who["headers"]) == 99  # sold, not given back


async def test_expiry_waits_for_wechat_pay_when_it_cannot_be_reached(client, server):
    made = await wechat_order(client)
    order_id = made["order"]["id"]
    await park(order_id)
    async with sandbox_fault(client, "api_error", apis=["query", "close"]):
        assert await _expire_now(server, order_id) == "unavailable"
        order = await Order.get(id=order_id)
        assert order.status == "PAYING"  # never closed here without WeChat Pay's word
        assert order.next_query_at <= now()  # due again at the next sweep
    await park(order_id)
    assert await _expire_now(server, order_id) == "closed"


async def test_order_closed_at_wechat_pay_only_after_its_query(client, server):
    """Paid between the query and the close: WeChat Pay refuses the close (ORDERPAID) and the payment wins."""
    made = await wechat_order(client)
    order_id = made["order"]["id"]
    await park(order_id)
    deps = server.app.ctx.deps
    real_query = deps.payments.default.query
    calls = []

    async def query_then_pay(out_trade_no):
        state = await real_query(out_trade_no)
        if out_trade_no != made["order"]["out_trade_no"]:  # the engine's jobs for other tests' orders
            return state
        if not calls:  # the user pays right after our first query said NOTPAY
            await pay(client, made["prepay_id"])
        calls.append(state.trade_state)
        return state

    async with sandbox_fault(client, "notify_drop", apis=["pay_notify"]):
        deps.payments.default.query = query_then_pay
        try:
            assert await _expire_now(server, order_id) == "paid"
        finally:
            del deps.payments.default.query
    assert calls == ["NOTPAY", "SUCCESS"]
    assert await status_of(order_id) == "PAID"


async def test_paid_after_the_expiry_close_is_flagged_by_settlement(client, server):
    made = await wechat_order(client)
    order_id = made["order"]["id"]
    await park(order_id)
    assert await _expire_now(server, order_id) == "closed"
    await pay(client, made["prepay_id"], force=True)  # the user paid just as the order was being closed
    await wait_until(lambda: _is_any(order_id, ("REFUNDING", "REFUNDED")))
    detail = await admin_order(client, order_id)
    assert [f["kind"] for f in detail["flags"]] == ["paid_after_close"]
    assert len(detail["payments"]) == 1


async def _is(order_id: str, status: str) -> bool:
    return await status_of(order_id) == status


async def _is_any(order_id: str, statuses: tuple[str, ...]) -> bool:
    return await status_of(order_id) in statuses
