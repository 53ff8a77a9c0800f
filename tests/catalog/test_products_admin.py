"""Operators managing products: create, reused SKUs (also racing), patch, list (DESIGN.md §6)."""

from __future__ import annotations

import asyncio

import pytest

from tests.factories import assert_error, make_product, operator_headers, unique_label

ADMIN_KEYS = {"id", "sku", "name", "price_fen", "stock", "category", "on_sale", "created_at", "updated_at"}


def _body(**overrides) -> dict:
    return {"sku": unique_label("SKU-"), "name": "燕麦拿铁", "price_fen": 2200, "stock": 7, "category": "咖啡",
            **overrides}


async def test_create_answers_201_with_the_product(client):
    body = _body()
    response = await client.post("/admin/v1/products", json=body, headers=await operator_headers(client))
    assert response.status_code == 201
    product = response.json()
    assert set(product) == ADMIN_KEYS
    assert product["id"].startswith("prd_")
    assert {k: product[k] for k in ("sku", "name", "price_fen", "stock", "category")} == body
    assert product["on_sale"] is True


async def test_reused_sku_is_sku_exists(client):
    product = await make_product(client)
    error = assert_error(await client.post("/admin/v1/products", json=_body(sku=product["sku"]),
                                           headers=await operator_headers(client)), 409, "SKU_EXISTS")
    assert error["sku"] == product["sku"]


async def test_concurrent_creates_of_one_sku_make_one_product(client):
    headers = await operator_headers(client)
    body = _body()
    responses = await asyncio.gather(*[client.post("/admin/v1/products", json=body, headers=headers)
                                       for _ in range(6)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "SKU_EXISTS")


@pytest.mark.parametrize("field, value, reason_part", [
    ("price_fen", 0, "greater than or equal to 1"),
    ("price_fen", 12.5, "integer"),
    ("price_fen", "100", "integer"),
    ("stock", -1, "greater than or equal to 0"),
    ("sku", "", "at least 1"),
    ("name", None, "string"),
])
async def test_create_validation(client, field, value, reason_part):
    error = assert_error(await client.post("/admin/v1/products", json=_body(**{field: value}),
                                           headers=await operator_headers(client)), 422, "VALIDATION_FAILED")
    assert error["fields"][0]["field"] == field
    assert reason_part in error["fields"][0]["reason"]


async def test_patch_changes_a_subset_and_answers_the_whole_product(client):
    product = await make_product(client, price_fen=1000, stock=3)
    response = await client.patch(f"/admin/v1/products/{product['id']}", json={"price_fen": 1300, "stock": 0,
                                                                                 "sku": "IGNORED"},
                                  headers=await operator_headers(client))
    assert response.status_code == 200
    patched = response.json()
    assert set(patched) == ADMIN_KEYS
    assert patched["price_fen"] == 1300 and patched["stock"] == 0
    assert patched["sku"] == product["sku"] and patched["name"] == product["name"]
    assert patched["updated_at"] > product["updated_at"]
    assert patched["created_at"] == product["created_at"]


async def test_patch_refuses_null_and_bad_values(client):
    product = await make_product(client)
    headers = await operator_headers(client)
    error = assert_error(await client.patch(f"/admin/v1/products/{product['id']}", json={"name": None},
                                            headers=headers), 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "name", "reason": "must not be null"}]
    error = assert_error(await client.patch(f"/admin/v1/products/{product['id']}", json={"stock": -5},
                                            headers=headers), 422, "VALIDATION_FAILED")
    assert error["fields"][0]["field"] == "stock"


async def test_patch_of_an_unknown_product_is_404(client):
    assert_error(await client.patch("/admin/v1/products/prd_nope", json={"stock": 1},
                                    headers=await operator_headers(client)), 404, "NOT_FOUND")


async def test_admin_list_includes_off_sale_and_paginates(client):
    off = await make_product(client, on_sale=False)
    on = await make_product(client)
    headers = await operator_headers(client, "analyst")
    first = (await client.get("/admin/v1/products", params={"limit": 1}, headers=headers)).json()
    assert [item["id"] for item in first["items"]] == [on["id"]]
    second = (await client.get("/admin/v1/products", params={"limit": 1, "cursor": first["next_cursor"]},
                               headers=headers)).json()
    assert [item["id"] for item in second["items"]] == [off["id"]]
    assert second["items"][0]["on_sale"] is False
