"""The shop's catalog: on-sale products only, by category, paginated, login required (DESIGN.md §3)."""

from __future__ import annotations

from tests.factories import assert_error, make_product, operator_headers, unique_label, user_headers

PUBLIC_KEYS = {"id", "sku", "name", "price_fen", "stock", "category"}


async def test_products_need_a_login(client):
    assert_error(await client.get("/api/v1/products"), 401, "AUTH_TOKEN_MISSING")
    assert_error(await client.get("/api/v1/products/prd_x"), 401, "AUTH_TOKEN_MISSING")


async def test_one_product_has_exactly_the_public_fields(client):
    product = await make_product(client, price_fen=990, stock=4)
    response = await client.get(f"/api/v1/products/{product['id']}", headers=await user_headers(client))
    assert response.status_code == 200
    assert response.json() == {k: product[k] for k in PUBLIC_KEYS}


async def test_off_sale_and_unknown_products_are_404(client):
    product = await make_product(client)
    await client.patch(f"/admin/v1/products/{product['id']}", json={"on_sale": False},
                       headers=await operator_headers(client))
    headers = await user_headers(client)
    assert_error(await client.get(f"/api/v1/products/{product['id']}", headers=headers), 404, "NOT_FOUND")
    assert_error(await client.get("/api/v1/products/prd_unknown", headers=headers), 404, "NOT_FOUND")


async def test_list_shows_on_sale_only_filters_by_category_and_paginates(client):
    category = unique_label("cat")
    visible = [await make_product(client, category=category) for _ in range(3)]
    hidden = await make_product(client, category=category, on_sale=False)
    await make_product(client)  # another category
    headers = await user_headers(client)
    first = (await client.get("/api/v1/products", params={"category": category, "limit": 2}, headers=headers)).json()
    second = (await client.get("/api/v1/products", params={"category": category, "limit": 2,
                                                            "cursor": first["next_cursor"]}, headers=headers)).json()
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == [product["id"] for product in reversed(visible)]  # newest first
    assert hidden["id"] not in ids
    assert second["next_cursor"] is None
    assert all(set(item) == PUBLIC_KEYS for item in first["items"])


async def test_limit_out_of_range_is_a_validation_error(client):
    error = assert_error(await client.get("/api/v1/products", params={"limit": 101},
                                          headers=await user_headers(client)), 422, "VALIDATION_FAILED")
    assert error["fields"][0]["field"] == "limit"
