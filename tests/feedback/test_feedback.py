"""Feedback on orders (DESIGN.md §7): filing, isolation between users, operators' queue and replies (audit-logged),
and paid_not_updated, which asks WeChat Pay about the order before answering."""

from __future__ import annotations

import pytest

from app.feedback.models import Feedback
from tests.factories import assert_error, operator_headers
from tests.feedback.helpers import file_feedback, filed
from tests.jobs.helpers import park, sandbox_fault
from tests.notify.helpers import admin_order, pay, wechat_order


async def test_a_shopper_files_feedback_and_sees_it_in_their_list(client):
    made = await wechat_order(client)
    who, order = made["who"], made["order"]
    answer = await filed(client, who["headers"], order["id"], category="delivery", text="  三天了还没发货  ",
                         error_code="OUT_OF_STOCK")
    assert answer["id"].startswith("fbk_")
    assert {k: answer[k] for k in ("order_id", "category", "text", "status", "replies", "error_code")} == {
        "order_id": order["id"], "category": "delivery", "text": "三天了还没发货", "status": "open", "replies": [],
        "error_code": "OUT_OF_STOCK"}
    assert answer["created_at"].endswith("Z") and answer["order_status"] == "PAYING"
    second = await filed(client, who["headers"], order["id"], text="第二条")
    listed = (await client.get("/api/v1/feedback", headers=who["headers"])).json()
    assert [item["id"] for item in listed["items"]] == [second["id"], answer["id"]]  # newest first
    assert listed["next_cursor"] is None
    paged = (await client.get("/api/v1/feedback", params={"limit": 1}, headers=who["headers"])).json()
    assert [item["id"] for item in paged["items"]] == [second["id"]] and paged["next_cursor"]


async def test_another_users_order_is_not_found_and_lists_stay_apart(client):
    alice, bob = await wechat_order(client), await wechat_order(client)
    assert_error(await file_feedback(client, bob["who"]["headers"], alice["order"]["id"]), 404, "NOT_FOUND")
    mine = await filed(client, alice["who"]["headers"], alice["order"]["id"])
    assert (await client.get("/api/v1/feedback", headers=bob["who"]["headers"])).json()["items"] == []
    assert [i["id"] for i in (await client.get("/api/v1/feedback", headers=alice["who"]["headers"])).json()["items"]] \
        == [mine["id"]]
    assert await Feedback.filter(order_id=alice["order"]["id"]).count() == 1


@pytest.mark.parametrize("body, field", [
    ({"category": "complaint", "text": "x"}, "category"),
    ({"category": "other", "text": ""}, "text"),
    ({"category": "other", "text": "   "}, "text"),
    ({"category": "other", "text": "长" * 501}, "text"),
    ({"category": "other"}, "text"),
    ({"category": "other", "text": "x", "error_code": "not a code"}, "error_code"),
])
async def test_bad_feedback_is_refused_field_by_field(client, body, field):
    made = await wechat_order(client)
    response = await client.post(f"/api/v1/orders/{made['order']['id']}/feedback", json=body,
                                 headers=made["who"]["headers"])
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == [field]


async def test_feedback_needs_a_login(client):
    made = await wechat_order(client)
    assert_error(await file_feedback(client, {}, made["order"]["id"]), 401, "AUTH_TOKEN_MISSING")


async def test_paid_not_updated_queries_wechat_pay_and_answers_paid(client):
    """The notification is dropped (sandbox fault) and the jobs are kept away: only the feedback finds the payment."""
    made = await wechat_order(client)
    order = made["order"]
    await park(order["id"])
    async with sandbox_fault(client, "notify_drop", apis=["pay_notify"]):
        paid = await pay(client, made["prepay_id"])
        assert (await admin_order(client, order["id"]))["status"] == "PAYING"
        answer = await filed(client, made["who"]["headers"], order["id"], category="paid_not_updated",
                             text="我付了钱但订单没变")
    assert answer["order_status"] == "PAID"
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "PAID" and detail["transaction_id"] == paid["transaction_id"]
    assert [(t["from"], t["to"], t["cause"]) for t in detail["transitions"]][-1] == ("PAYING", "PAID", "feedback_query")
    assert len(detail["payments"]) == 1
    mine = (await client.get(f"/api/v1/orders/{order['id']}", headers=made["who"]["headers"])).json()
    assert mine["status"] == "PAID"


async def test_paid_not_updated_on_an_unpaid_order_says_it_is_still_paying(client):
    made = await wechat_order(client)
    await park(made["order"]["id"])
    answer = await filed(client, made["who"]["headers"], made["order"]["id"], category="paid_not_updated",
                         text="我付了钱但订单没变")
    assert answer["order_status"] == "PAYING"


async def test_paid_not_updated_still_files_when_wechat_pay_does_not_answer(client):
    made = await wechat_order(client)
    await park(made["order"]["id"])
    async with sandbox_fault(client, "api_error", apis=["query"]):
        answer = await filed(client, made["who"]["headers"], made["order"]["id"], category="paid_not_updated",
                             text="我付了钱但订单没变")
    assert answer["order_status"] == "PAYING" and answer["status"] == "open"


async def test_operators_reply_and_resolve_and_the_shopper_sees_it(client):
    made = await wechat_order(client)
    who, order = made["who"], made["order"]
    mine = await filed(client, who["headers"], order["id"], category="refund", text="想退款")
    operator = await operator_headers(client)
    queue = (await client.get("/admin/v1/feedback", params={"status": "open", "limit": 100},
                              headers=await operator_headers(client, "analyst"))).json()
    assert mine["id"] in [item["id"] for item in queue["items"]]
    entry = next(item for item in queue["items"] if item["id"] == mine["id"])
    assert entry["user_id"] == who["user_id"] and entry["order_id"] == order["id"]

    first = await client.post(f"/admin/v1/feedback/{mine['id']}/replies", json={"text": "已收到，正在核实"},
                              headers=operator)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "open" and [r["text"] for r in first.json()["replies"]] == ["已收到，正在核实"]
    second = await client.post(f"/admin/v1/feedback/{mine['id']}/replies",
                               json={"text": "已为您退款", "resolve": True}, headers=operator)
    assert second.status_code == 201 and second.json()["status"] == "resolved"
    assert second.json()["resolved_at"] is not None

    seen = (await client.get("/api/v1/feedback", headers=who["headers"])).json()["items"][0]
    assert seen["status"] == "resolved" and [r["text"] for r in seen["replies"]] == ["已收到，正在核实", "已为您退款"]
    assert "operator_id" not in seen["replies"][0]  # who answered is the operators' business
    resolved = (await client.get("/admin/v1/feedback", params={"status": "resolved", "limit": 100},
                                 headers=operator)).json()["items"]
    assert mine["id"] in [item["id"] for item in resolved]
    still_open = (await client.get("/admin/v1/feedback", params={"status": "open", "limit": 100},
                                   headers=operator)).json()["items"]
    assert mine["id"] not in [item["id"] for item in still_open]

    audit = (await client.get("/admin/v1/audit", params={"target_id": mine["id"]}, headers=operator)).json()["items"]
    assert [(e["action"], e["before"]["status"], e["after"]["status"]) for e in reversed(audit)] == [
        ("feedback.reply", "open", "open"), ("feedback.reply", "open", "resolved")]


async def test_analysts_read_the_queue_but_may_not_reply(client):
    made = await wechat_order(client)
    mine = await filed(client, made["who"]["headers"], made["order"]["id"])
    analyst = await operator_headers(client, "analyst")
    assert_error(await client.post(f"/admin/v1/feedback/{mine['id']}/replies", json={"text": "好"},
                                   headers=analyst), 403, "FORBIDDEN")
    assert_error(await client.post("/admin/v1/feedback/fbk_nope/replies", json={"text": "好"},
                                   headers=await operator_headers(client)), 404, "NOT_FOUND")
    assert_error(await client.get("/admin/v1/feedback", params={"status": "closed"}, headers=analyst),
                 422, "VALIDATION_FAILED")
    assert_error(await client.get("/admin/v1/feedback", headers=made["who"]["headers"]), 401, "AUTH_TOKEN_INVALID")


async def test_the_openapi_document_describes_after_sales_and_risk(client):
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    feedback = paths["/api/v1/orders/{order_id}/feedback"]["post"]
    assert "201" in feedback["responses"] and feedback["security"] == [{"bearer": []}]
    body = feedback["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/FeedbackIn"}
    for path, method in (("/api/v1/feedback", "get"), ("/api/v1/help", "get"), ("/admin/v1/feedback", "get"),
                         ("/admin/v1/feedback/{feedback_id}/replies", "post"), ("/admin/v1/help", "post"),
                         ("/admin/v1/help/{entry_id}", "patch"), ("/admin/v1/risk/events", "get")):
        assert method in paths[path], (path, method)
    schemas = spec["components"]["schemas"]
    assert {"category", "text", "error_code"} <= set(schemas["FeedbackIn"]["properties"])
    assert {"order_status", "replies"} <= set(schemas["FeedbackOut"]["properties"])
    assert {"kind", "subject", "details", "at", "count"} <= set(schemas["RiskEventOut"]["properties"])
