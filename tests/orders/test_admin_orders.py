"""Operators' order list and detail, and the notification log (DESIGN.md §6 "Orders")."""

from __future__ import annotations

from tests.factories import assert_error, operator_headers, user_headers
from tests.notify.helpers import (
    notifications_log, notify, pay, sandbox_keys, seal, sign, transaction, wait_for_status, wechat_order,
)


async def test_orders_are_listed_newest_first_and_filtered(client):
    headers = await operator_headers(client, "analyst")
    oldest = await wechat_order(client)
    paying, paid = await wechat_order(client), await wechat_order(client)
    await pay(client, paid["prepay_id"])
    await wait_for_status(client, paid["order"]["id"], "PAID")
    page = (await client.get("/admin/v1/orders", params={"limit": 2}, headers=headers)).json()
    assert [o["id"] for o in page["items"]] == [paid["order"]["id"], paying["order"]["id"]]
    assert page["next_cursor"]
    more = (await client.get("/admin/v1/orders", params={"limit": 1, "cursor": page["next_cursor"]},
                             headers=headers)).json()
    assert more["items"][0]["id"] == oldest["order"]["id"]
    only_paid = (await client.get("/admin/v1/orders", params={"status": "PAID", "limit": 100},
                                  headers=headers)).json()["items"]
    assert paid["order"]["id"] in {o["id"] for o in only_paid} and {o["status"] for o in only_paid} == {"PAID"}
    assert_error(await client.get("/admin/v1/orders", params={"status": "NOPE"}, headers=headers),
                 422, "VALIDATION_FAILED")


async def test_flagged_filter_and_detail_show_flags_and_transitions(client):
    headers = await operator_headers(client, "analyst")
    made = await wechat_order(client)
    keys = await sandbox_keys(client)
    body = seal(keys, transaction(keys, made["order"], amount={"total": 1, "currency": "CNY"}))
    assert (await notify(client, body, sign(keys, body))).status_code == 204
    flagged = (await client.get("/admin/v1/orders", params={"flagged": "true", "limit": 100},
                                headers=headers)).json()["items"]
    assert made["order"]["id"] in {o["id"] for o in flagged}
    assert next(o for o in flagged if o["id"] == made["order"]["id"])["flags"] == ["amount_mismatch"]
    unflagged = (await client.get("/admin/v1/orders", params={"flagged": "false", "limit": 100},
                                  headers=headers)).json()["items"]
    assert made["order"]["id"] not in {o["id"] for o in unflagged}
    detail = (await client.get(f"/admin/v1/orders/{made['order']['id']}", headers=headers)).json()
    assert detail["flags"][0]["kind"] == "amount_mismatch" and detail["flags"][0]["at"]
    assert detail["transitions"] == [{"from": None, "to": "PAYING", "cause": "one_tap",
                                      "at": detail["transitions"][0]["at"]}]
    assert_error(await client.get("/admin/v1/orders/ord_NOSUCH", headers=headers), 404, "NOT_FOUND")


async def test_notification_log_is_for_operators_and_analysts_only(client):
    made = await wechat_order(client)
    await pay(client, made["prepay_id"])
    await wait_for_status(client, made["order"]["id"], "PAID")
    for role in ("analyst", "operator", "admin"):
        [entry] = await notifications_log(client, made["order"]["out_trade_no"], role=role)
        assert entry["endpoint"] == "/notify/wechatpay" and entry["event_type"] == "TRANSACTION.SUCCESS"
        assert entry["headers"]["wechatpay-serial"] and '"resource"' in entry["body"]
        assert entry["answer"] == {"status": 204, "body": ""}
    response = await client.get("/admin/v1/notifications", headers=await user_headers(client))
    assert_error(response, 401, "AUTH_TOKEN_INVALID")
