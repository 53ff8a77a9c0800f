"""Operators crediting wallets: atomic balance, ledger and audit in one transaction (DESIGN.md §6)."""

from __future__ import annotations

import asyncio

import pytest

from app.operators.models import AuditEntry
from app.wallet.models import LedgerEntry
from tests.factories import assert_error, login, make_operator, operator_headers


async def _credit(client, user_id: str, headers: dict, amount_fen: int = 100, reason: str = "活动补偿"):
    return await client.post(f"/admin/v1/wallets/{user_id}/credit", json={"amount_fen": amount_fen,
                                                                            "reason": reason}, headers=headers)


async def test_credit_answers_201_with_balance_and_entry_and_the_user_sees_it(client):
    tokens = await login(client)
    user_id = tokens["user"]["id"]
    response = await _credit(client, user_id, await operator_headers(client), 2500, "首单补偿")
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["user_id"] == user_id and data["balance_fen"] == 2500
    entry = data["entry"]
    assert entry["id"].startswith("led_")
    assert (entry["kind"], entry["amount_fen"], entry["balance_after_fen"], entry["reason"]) == \
        ("credit", 2500, 2500, "首单补偿")
    wallet = (await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {tokens['access_token']}"}))
    assert wallet.json()["balance_fen"] == 2500


async def test_ten_concurrent_credits_all_count(client):
    user_id = (await login(client))["user"]["id"]
    headers = await operator_headers(client)
    responses = await asyncio.gather(*[_credit(client, user_id, headers, 100) for _ in range(10)])
    assert [r.status_code for r in responses] == [201] * 10
    assert max(r.json()["balance_fen"] for r in responses) == 1000
    entries = await LedgerEntry.filter(user_id=user_id).order_by("balance_after_fen")
    assert [e.balance_after_fen for e in entries] == list(range(100, 1001, 100))
    assert all(e.kind == "credit" and e.amount_fen == 100 for e in entries)
    assert await AuditEntry.filter(action="wallet.credit", target_id=user_id).count() == 10


async def test_credit_is_audited_with_before_and_after(client):
    user_id = (await login(client))["user"]["id"]
    operator_id, headers = await make_operator(client, "admin")
    await _credit(client, user_id, headers, 300)
    await _credit(client, user_id, headers, 200)
    entries = (await client.get("/admin/v1/audit", params={"target_id": user_id, "action": "wallet.credit"},
                                headers=headers)).json()["items"]
    assert [(e["before"]["balance_fen"], e["after"]["balance_fen"]) for e in entries] == [(300, 500), (0, 300)]
    assert {e["operator_id"] for e in entries} == {operator_id}
    assert entries[0]["target_type"] == "wallet"


async def test_unknown_user_is_404(client):
    assert_error(await _credit(client, "usr_nobody", await operator_headers(client)), 404, "NOT_FOUND")


@pytest.mark.parametrize("body, field", [
    ({"amount_fen": 0, "reason": "x"}, "amount_fen"),
    ({"amount_fen": -100, "reason": "x"}, "amount_fen"),
    ({"amount_fen": 1_000_001, "reason": "x"}, "amount_fen"),
    ({"amount_fen": 1.5, "reason": "x"}, "amount_fen"),
    ({"amount_fen": 100}, "reason"),
    ({"amount_fen": 100, "reason": ""}, "reason"),
])
async def test_amount_and_reason_are_validated(client, body, field):
    user_id = (await login(client))["user"]["id"]
    error = assert_error(await client.post(f"/admin/v1/wallets/{user_id}/credit", json=body,
                                           headers=await operator_headers(client)), 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == [field]
    assert await LedgerEntry.filter(user_id=user_id).count() == 0


async def test_the_cap_itself_is_allowed(client):
    user_id = (await login(client))["user"]["id"]
    assert (await _credit(client, user_id, await operator_headers(client), 1_000_000)).status_code == 201


async def test_analyst_cannot_credit(client):
    user_id = (await login(client))["user"]["id"]
    assert_error(await _credit(client, user_id, await operator_headers(client, "analyst")), 403, "FORBIDDEN")
