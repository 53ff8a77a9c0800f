"""Help by error code (DESIGN.md §7): seeded for every code a shopper can meet, edited by operators (audit-logged),
and pointed to by `help_id` in every error answer whose code has entries (§2)."""

from __future__ import annotations

import asyncio

from app.core.errors import CATALOG
from tests.factories import assert_error, operator_headers, user_headers

# The codes only operators (or deployments) meet, so no shopper needs help with them:
OPERATOR_ONLY = {
    "NOT_READY": "/readyz is a deployment's probe, not a shopper's call",
    "OPERATOR_LOGIN_FAILED": "the console's login",
    "OPERATOR_LOCKED": "the console's login lockout",
    "SKU_EXISTS": "creating products is an operator's action",
    "ORDER_NOT_REFUNDABLE": "refunds are made by operators (POST /admin/v1/orders/{id}/refund)",
    "REFUND_EXCEEDS_PAID": "refunds are made by operators",
    "DIFFERENCE_ALREADY_RESOLVED": "reconciliation is the operators' (DESIGN §8)",
}


async def _help(client, code: str | None = None) -> list[dict]:
    response = await client.get("/api/v1/help", params={"code": code} if code else {})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_every_code_a_shopper_can_meet_has_practical_chinese_help(client):
    assert set(OPERATOR_ONLY) <= set(CATALOG)
    shopper_codes = sorted(set(CATALOG) - set(OPERATOR_ONLY))
    assert "PHONE_REQUIRED" in shopper_codes and "RATE_LIMITED" in shopper_codes
    missing = []
    for code in shopper_codes:
        entries = await _help(client, code)
        if not entries:
            missing.append(code)
        for entry in entries:
            assert entry["code"] == code and entry["id"].startswith("hlp_")
            assert any("\u4e00" <= ch <= "\u9fff" for ch in entry["question"] + entry["answer"]), entry
            assert len(entry["answer"]) >= 20, entry  # what happened and what to do, not a word
    assert not missing, f"no help for {missing}"


async def test_help_without_a_code_lists_every_entry_and_an_unknown_code_none(client):
    everything = await _help(client)
    assert {entry["code"] for entry in everything} >= set(CATALOG) - set(OPERATOR_ONLY)
    assert await _help(client, "NO_SUCH_CODE") == []


async def test_error_answers_carry_the_help_id_of_their_code(client):
    [first] = await _help(client, "AUTH_TOKEN_MISSING")
    error = assert_error(await client.get("/api/v1/wallet"), 401, "AUTH_TOKEN_MISSING")
    assert error["help_id"] == first["id"]
    error = assert_error(await client.get("/api/v1/no-such-route"), 404, "NOT_FOUND")
    assert error["help_id"] == "hlp_not_found"
    error = assert_error(await client.post("/api/v1/checkout/quote", content=b"{", headers=await user_headers(client)),
                         400, "MALFORMED_JSON")
    assert error["help_id"] == "hlp_malformed_json"
    # an operator-only code has no entry, so no help_id
    error = assert_error(await client.post("/admin/v1/auth/login", json={"username": "nobody", "password": "x"}),
                         401, "OPERATOR_LOGIN_FAILED")
    assert "help_id" not in error


async def test_operators_edit_help_and_error_answers_follow_at_once(client, server):
    operator = await operator_headers(client)
    created = await client.post("/admin/v1/help", headers=operator, json={
        "code": "OPERATOR_LOCKED", "question": "账号被锁定怎么办？", "answer": "等待15分钟后再试，或请管理员核实是否有人尝试登录。"})
    assert created.status_code == 201, created.text
    entry = created.json()
    try:
        assert entry["id"].startswith("hlp_") and entry["code"] == "OPERATOR_LOCKED"
        assert server.app.ctx.help_index.lookup("OPERATOR_LOCKED") == entry["id"]
        assert [e["id"] for e in await _help(client, "OPERATOR_LOCKED")] == [entry["id"]]

        patched = await client.patch(f"/admin/v1/help/{entry['id']}", headers=operator, json={"answer": "请等待15分钟。"})
        assert patched.status_code == 200 and patched.json()["answer"] == "请等待15分钟。"
        assert patched.json()["question"] == "账号被锁定怎么办？"
        got = await client.get(f"/admin/v1/help/{entry['id']}", headers=await operator_headers(client, "analyst"))
        assert got.json()["answer"] == "请等待15分钟。"

        audit = (await client.get("/admin/v1/audit", params={"target_id": entry["id"]},
                                  headers=operator)).json()["items"]
        assert [e["action"] for e in reversed(audit)] == ["help.create", "help.update"]
        assert audit[0]["before"]["answer"] != audit[0]["after"]["answer"]
    finally:
        assert (await client.delete(f"/admin/v1/help/{entry['id']}", headers=operator)).status_code == 204
    assert server.app.ctx.help_index.lookup("OPERATOR_LOCKED") is None
    assert await _help(client, "OPERATOR_LOCKED") == []
    assert_error(await client.delete(f"/admin/v1/help/{entry['id']}", headers=operator), 404, "NOT_FOUND")


async def test_another_workers_edit_reaches_this_one_through_redis(client, server):
    """An edit on another worker increments the version in Redis; this worker's poll reloads within seconds."""
    from app.core.clock import now_utc
    from app.help.models import HelpEntry
    from app.help.service import VERSION_KEY

    index = server.app.ctx.help_index
    assert index.lookup("SKU_EXISTS") is None
    now = now_utc()
    row = await HelpEntry.create(id="hlp_other_worker_sku_exists", code="SKU_EXISTS", question="编码重复？",
                                 answer="换一个编码。", created_at=now, updated_at=now)  # as another worker would
    try:
        await server.app.ctx.deps.redis.incr(VERSION_KEY)
        for _ in range(100):
            if index.lookup("SKU_EXISTS") == row.id:
                break
            await asyncio.sleep(0.1)
        assert index.lookup("SKU_EXISTS") == row.id
    finally:
        await row.delete()
        await index.changed()
    assert index.lookup("SKU_EXISTS") is None


async def test_help_edits_are_checked_and_need_an_operator(client):
    operator, analyst = await operator_headers(client), await operator_headers(client, "analyst")
    error = assert_error(await client.post("/admin/v1/help", headers=operator,
                                           json={"code": "NOPE", "question": "?", "answer": "!"}), 422,
                         "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["code"]
    assert_error(await client.post("/admin/v1/help", headers=analyst,
                                   json={"code": "NOT_FOUND", "question": "?", "answer": "!"}), 403, "FORBIDDEN")
    assert_error(await client.patch("/admin/v1/help/hlp_not_found", headers=analyst, json={"answer": "!"}),
                 403, "FORBIDDEN")
    assert_error(await client.patch("/admin/v1/help/hlp_nope", headers=operator, json={"answer": "!"}),
                 404, "NOT_FOUND")
    listed = (await client.get("/admin/v1/help", params={"code": "NOT_FOUND"}, headers=analyst)).json()["items"]
    assert [e["id"] for e in listed] == ["hlp_not_found"] and listed[0]["created_at"]
