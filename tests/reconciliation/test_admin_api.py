"""GET /admin/v1/reconciliation and resolving a difference (DESIGN §6, §8): roles, paging, validation, audit."""

from __future__ import annotations

import asyncio

from app.orders.models import Order
from tests.factories import assert_error, make_operator, operator_headers
from tests.reconciliation.helpers import clear_of_midnight, day_view, of_order, reconcile
from tests.refunds.helpers import paid_wechat_order

RESOLVE = "/admin/v1/reconciliation/differences/{}/resolve"


async def _two_mismatches(client, server):
    """Two orders whose amount our books changed (test-only), reconciled: (day, their differences)."""
    day = await clear_of_midnight()
    orders = [await paid_wechat_order(client, price) for price in (2100, 2200)]
    for order in orders:
        await Order.filter(id=order["id"]).update(payable_fen=order["payable_fen"] + 5)
    await reconcile(server.app.ctx.deps, day)
    view = await day_view(client, day)
    return day, [of_order(view, order["out_trade_no"])[0][1] for order in orders]


async def test_analysts_read_the_day_and_operators_resolve_a_difference_once_audited(client, server):
    day, (first, second) = await _two_mismatches(client, server)
    analyst = await operator_headers(client, "analyst")
    refused = await client.post(RESOLVE.format(first["id"]), json={"note": "看看"}, headers=analyst)
    assert_error(refused, 403, "FORBIDDEN")

    operator_id, operator = await make_operator(client, "operator")
    blank = await client.post(RESOLVE.format(first["id"]), json={"note": "   "}, headers=operator)
    assert assert_error(blank, 422, "VALIDATION_FAILED")["fields"][0]["field"] == "note"
    done = await client.post(RESOLVE.format(first["id"]), json={"note": " 已与财务核对 "}, headers=operator)
    assert done.status_code == 200, done.text
    resolved = done.json()
    assert (resolved["id"], resolved["resolved"], resolved["resolved_by"], resolved["note"]) == (
        first["id"], True, operator_id, "已与财务核对")
    again = await client.post(RESOLVE.format(first["id"]), json={"note": "再来一次"}, headers=operator)
    assert assert_error(again, 409, "DIFFERENCE_ALREADY_RESOLVED")["resolved_by"] == operator_id

    audit = await client.get("/admin/v1/audit", params={"action": "reconciliation.resolve", "target_id": first["id"]},
                             headers=analyst)
    [entry] = audit.json()["items"]
    assert (entry["operator_id"], entry["before"]["resolved"], entry["after"]["note"]) == (
        operator_id, False, "已与财务核对")

    still_open = await day_view(client, day, status="open", kind="amount_mismatch")
    assert second["id"] in [d["id"] for d in still_open["differences"]]
    assert first["id"] not in [d["id"] for d in still_open["differences"]]
    assert all(d["resolved"] is False and d["kind"] == "amount_mismatch" for d in still_open["differences"])
    counts = still_open["run"]["counts"]
    assert counts["total"] == sum(counts[kind] for kind in ("missing_local", "missing_remote", "amount_mismatch",
                                                              "refund_mismatch"))


async def test_concurrent_resolutions_of_one_difference_resolve_it_once(client, server):
    _, (difference, _) = await _two_mismatches(client, server)
    operators = [(await make_operator(client, "operator")) for _ in range(5)]
    answers = await asyncio.gather(*(client.post(RESOLVE.format(difference["id"]), json={"note": f"第{n}位"},
                                                 headers=headers) for n, (_, headers) in enumerate(operators)))
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409, 409]
    [winner] = [answer.json() for answer in answers if answer.status_code == 200]
    audit = await client.get("/admin/v1/audit", params={"action": "reconciliation.resolve",
                                                        "target_id": difference["id"]},
                             headers=await operator_headers(client, "analyst"))
    assert [entry["after"]["note"] for entry in audit.json()["items"]] == [winner["note"]]


async def test_differences_are_paged_in_the_order_found(client, server):
    day, _ = await _two_mismatches(client, server)
    headers = await operator_headers(client, "analyst")
    whole = await day_view(client, day)
    seen, cursor = [], None
    while True:
        page = await client.get("/admin/v1/reconciliation", headers=headers,
                                params={"date": day.isoformat(), "limit": 1, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        seen += [d["id"] for d in page.json()["differences"]["items"]]
        cursor = page.json()["differences"]["next_cursor"]
        if cursor is None:
            break
    assert seen == [d["id"] for d in whole["differences"]] == sorted(seen) and len(seen) >= 2


async def test_a_day_never_reconciled_and_bad_parameters(client):
    headers = await operator_headers(client, "analyst")
    never = await client.get("/admin/v1/reconciliation", params={"date": "2001-01-01"}, headers=headers)
    assert never.status_code == 200
    assert never.json() == {"date": "2001-01-01", "run": None, "differences": {"items": [], "next_cursor": None}}
    for name, value in (("date", "2026-02-30"), ("date", "20260301"), ("kind", "lost"), ("status", "closed")):
        answer = await client.get("/admin/v1/reconciliation", params={name: value}, headers=headers)
        assert assert_error(answer, 422, "VALIDATION_FAILED")["fields"][0]["field"] == name
    unknown = await client.post(RESOLVE.format("rdf_nothing"), json={"note": "x"}, headers=await operator_headers(client))
    assert_error(unknown, 404, "NOT_FOUND")
    user = await client.get("/admin/v1/reconciliation")
    assert user.status_code == 401
