"""The audit log: every change with who, before, after and when; filters and pagination (DESIGN.md §6)."""

from __future__ import annotations

from app.operators.models import AuditEntry
from tests.factories import assert_error, make_operator, make_product, operator_headers, unique_label


async def test_product_changes_are_audited_with_before_and_after(client):
    operator_id, headers = await make_operator(client, "operator")
    created = (await client.post("/admin/v1/products", headers=headers, json={
        "sku": unique_label("AUD-"), "name": "美式", "price_fen": 1500, "stock": 3, "category": "咖啡"})).json()
    await client.patch(f"/admin/v1/products/{created['id']}", json={"price_fen": 1600}, headers=headers)

    response = await client.get("/admin/v1/audit", params={"target_id": created["id"]}, headers=headers)
    assert response.status_code == 200
    update, create = response.json()["items"]  # newest first
    assert create["action"] == "product.create" and update["action"] == "product.update"
    assert create["operator_id"] == update["operator_id"] == operator_id
    assert create["target_type"] == "product" and create["target_id"] == created["id"]
    assert create["before"] is None and create["after"]["price_fen"] == 1500
    assert update["before"]["price_fen"] == 1500 and update["after"]["price_fen"] == 1600
    assert update["at"] >= create["at"]


async def test_audit_filters_by_action_and_paginates_newest_first(client):
    headers = await operator_headers(client, "analyst")
    product = await make_product(client)
    for price in (101, 102, 103):
        await client.patch(f"/admin/v1/products/{product['id']}", json={"price_fen": price},
                           headers=await operator_headers(client))
    first = (await client.get("/admin/v1/audit", headers=headers,
                              params={"action": "product.update", "target_id": product["id"], "limit": 2})).json()
    assert [entry["after"]["price_fen"] for entry in first["items"]] == [103, 102]
    assert first["next_cursor"]
    second = (await client.get("/admin/v1/audit", headers=headers, params={
        "action": "product.update", "target_id": product["id"], "limit": 2, "cursor": first["next_cursor"]})).json()
    assert [entry["after"]["price_fen"] for entry in second["items"]] == [101]
    assert second["next_cursor"] is None


async def test_a_failed_change_writes_no_audit_entry(client):
    product = await make_product(client)
    before = await AuditEntry.all().count()
    headers = await operator_headers(client)
    assert_error(await client.post("/admin/v1/products", headers=headers, json={
        "sku": product["sku"], "name": "x", "price_fen": 1, "stock": 1, "category": "x"}), 409, "SKU_EXISTS")
    assert_error(await client.patch(f"/admin/v1/products/{product['id']}", json={"price_fen": 0}, headers=headers),
                 422, "VALIDATION_FAILED")
    assert await AuditEntry.all().count() == before


async def test_a_bad_audit_cursor_is_a_validation_error(client):
    error = assert_error(await client.get("/admin/v1/audit", params={"cursor": "bm9wZQ"},
                                          headers=await operator_headers(client, "analyst")), 422, "VALIDATION_FAILED")
    assert error["fields"][0]["field"] == "cursor"
