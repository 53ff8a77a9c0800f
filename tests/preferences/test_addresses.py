"""Saved addresses: both input shapes, validation, the default address, pagination (DESIGN.md §2, §3)."""

from __future__ import annotations

import asyncio

import pytest

from tests.factories import assert_error, user_headers
from tests.preferences.helpers import ADDRESS_KEYS, SNAKE_ADDRESS, WX_ADDRESS, add_address, default_address_id


def _content(address: dict) -> dict:
    return {key: address[key] for key in ADDRESS_KEYS - {"id", "created_at", "updated_at"}}


async def test_wx_choose_address_object_is_saved_as_it_is_and_answered_in_snake_case(client):
    headers = await user_headers(client)
    response = await client.post("/api/v1/me/addresses", headers=headers, json=WX_ADDRESS)
    assert response.status_code == 201
    address = response.json()
    assert set(address) == ADDRESS_KEYS
    assert address["id"].startswith("adr_")
    assert address["created_at"].endswith("Z") and address["updated_at"].endswith("Z")
    assert _content(address) == {
        "name": "张三", "phone": "020-81167888", "province": "广东省", "city": "广州市", "district": "海珠区",
        "detail": "新港中路397号", "postal_code": "510000", "national_code": "440105", "is_default": True,
    }
    fetched = await client.get(f"/api/v1/me/addresses/{address['id']}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json() == address


async def test_snake_case_address_is_saved_with_empty_optional_fields(client):
    headers = await user_headers(client)
    address = await add_address(client, headers)
    assert _content(address) == {
        "name": "李四", "phone": "+86-13912345678", "province": "北京市", "city": "北京市", "district": "朝阳区",
        "detail": "建国路88号", "postal_code": "100022", "national_code": "", "is_default": True,
    }


async def test_snake_case_wins_when_both_spellings_are_sent(client):
    address = await add_address(client, await user_headers(client), userName="王五", name="赵六")
    assert address["name"] == "赵六"


@pytest.mark.parametrize("shape", [WX_ADDRESS, SNAKE_ADDRESS])
async def test_missing_required_fields_are_named_in_snake_case(client, shape):
    body = {key: value for key, value in shape.items() if key not in ("userName", "telNumber", "detailInfo",
                                                                      "name", "phone", "detail")}
    response = await client.post("/api/v1/me/addresses", headers=await user_headers(client), json=body)
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["name", "phone", "detail"]


@pytest.mark.parametrize(("field", "value"), [
    ("telNumber", "138 0013 8000"), ("telNumber", "call me"), ("telNumber", "1234"), ("telNumber", "1" * 33),
    ("userName", "   "), ("userName", "名" * 65), ("detailInfo", ""), ("detailInfo", "路" * 257),
    ("provinceName", "省" * 65), ("postalCode", "1" * 17), ("telNumber", 13800138000),
])
async def test_invalid_address_fields_are_refused_with_the_snake_case_field(client, field, value):
    response = await client.post("/api/v1/me/addresses", headers=await user_headers(client),
                                 json={**WX_ADDRESS, field: value})
    error = assert_error(response, 422, "VALIDATION_FAILED")
    snake = {"telNumber": "phone", "userName": "name", "detailInfo": "detail", "provinceName": "province",
             "postalCode": "postal_code"}[field]
    assert [f["field"] for f in error["fields"]] == [snake]


async def test_the_first_address_becomes_the_default_and_later_ones_do_not(client):
    headers = await user_headers(client)
    first = await add_address(client, headers)
    second = await add_address(client, headers)
    assert first["is_default"] is True
    assert second["is_default"] is False
    assert await default_address_id(client, headers) == first["id"]


async def test_is_default_on_post_makes_the_new_address_the_default(client):
    headers = await user_headers(client)
    first = await add_address(client, headers)
    second = await add_address(client, headers, is_default=True)
    assert second["is_default"] is True
    assert await default_address_id(client, headers) == second["id"]
    refetched = (await client.get(f"/api/v1/me/addresses/{first['id']}", headers=headers)).json()
    assert refetched["is_default"] is False


async def test_concurrent_first_addresses_leave_exactly_one_default(client):
    headers = await user_headers(client)
    responses = await asyncio.gather(*[
        client.post("/api/v1/me/addresses", headers=headers, json=SNAKE_ADDRESS) for _ in range(6)
    ])
    assert [r.status_code for r in responses] == [201] * 6
    # Exactly one save won the conditional update, and no later one took the default from it.
    answered_default = [r.json()["id"] for r in responses if r.json()["is_default"]]
    assert answered_default == [await default_address_id(client, headers)]
    listed = (await client.get("/api/v1/me/addresses", headers=headers)).json()["items"]
    assert len(listed) == 6
    assert [a["id"] for a in listed if a["is_default"]] == answered_default


async def test_put_replaces_the_address_with_either_shape(client):
    headers = await user_headers(client)
    created = await add_address(client, headers)
    url = f"/api/v1/me/addresses/{created['id']}"
    response = await client.put(url, headers=headers, json=WX_ADDRESS)
    assert response.status_code == 200
    replaced = response.json()
    assert replaced["id"] == created["id"]
    assert replaced["created_at"] == created["created_at"]
    assert replaced["updated_at"] >= created["updated_at"]
    assert _content(replaced) == {
        "name": "张三", "phone": "020-81167888", "province": "广东省", "city": "广州市", "district": "海珠区",
        "detail": "新港中路397号", "postal_code": "510000", "national_code": "440105", "is_default": True,
    }
    # Omitted optional fields are replaced with empty ones; the default stays when is_default is absent.
    response = await client.put(url, headers=headers, json={"name": "孙七", "phone": "13800138000", "detail": "某路1号"})
    assert _content(response.json()) == {
        "name": "孙七", "phone": "13800138000", "province": "", "city": "", "district": "", "detail": "某路1号",
        "postal_code": "", "national_code": "", "is_default": True,
    }
    assert (await client.get(url, headers=headers)).json() == response.json()


async def test_put_is_validated_like_post(client):
    headers = await user_headers(client)
    created = await add_address(client, headers)
    response = await client.put(f"/api/v1/me/addresses/{created['id']}", headers=headers, json={"name": "孙七"})
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["phone", "detail"]


async def test_put_with_is_default_switches_the_default_and_false_clears_it(client):
    headers = await user_headers(client)
    first = await add_address(client, headers)
    second = await add_address(client, headers)
    response = await client.put(f"/api/v1/me/addresses/{second['id']}", headers=headers,
                                json={**SNAKE_ADDRESS, "is_default": True})
    assert response.json()["is_default"] is True
    assert await default_address_id(client, headers) == second["id"]
    # false on an address that is not the default changes nothing
    response = await client.put(f"/api/v1/me/addresses/{first['id']}", headers=headers,
                                json={**SNAKE_ADDRESS, "is_default": False})
    assert response.json()["is_default"] is False
    assert await default_address_id(client, headers) == second["id"]
    # false on the default leaves no default
    response = await client.put(f"/api/v1/me/addresses/{second['id']}", headers=headers,
                                json={**SNAKE_ADDRESS, "is_default": False})
    assert response.json()["is_default"] is False
    assert await default_address_id(client, headers) is None


async def test_deleting_the_default_makes_the_newest_remaining_one_the_default(client):
    headers = await user_headers(client)
    ids = sorted([(await add_address(client, headers))["id"] for _ in range(3)])
    oldest, middle, newest = ids
    assert await default_address_id(client, headers) == oldest

    response = await client.delete(f"/api/v1/me/addresses/{oldest}", headers=headers)
    assert response.status_code == 204
    assert response.content == b""
    assert await default_address_id(client, headers) == newest
    assert_error(await client.get(f"/api/v1/me/addresses/{oldest}", headers=headers), 404, "NOT_FOUND")

    await client.delete(f"/api/v1/me/addresses/{newest}", headers=headers)
    assert await default_address_id(client, headers) == middle
    await client.delete(f"/api/v1/me/addresses/{middle}", headers=headers)
    assert await default_address_id(client, headers) is None
    assert (await client.get("/api/v1/me/addresses", headers=headers)).json() == {"items": [], "next_cursor": None}


async def test_deleting_another_address_keeps_the_default(client):
    headers = await user_headers(client)
    first = await add_address(client, headers)
    second = await add_address(client, headers)
    assert (await client.delete(f"/api/v1/me/addresses/{second['id']}", headers=headers)).status_code == 204
    assert await default_address_id(client, headers) == first["id"]


async def test_deleting_twice_is_not_found(client):
    headers = await user_headers(client)
    address = await add_address(client, headers)
    assert (await client.delete(f"/api/v1/me/addresses/{address['id']}", headers=headers)).status_code == 204
    assert_error(await client.delete(f"/api/v1/me/addresses/{address['id']}", headers=headers), 404, "NOT_FOUND")


async def test_the_list_pages_newest_first_with_a_cursor(client):
    headers = await user_headers(client)
    ids = [(await add_address(client, headers, name=f"收件人{i}"))["id"] for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/me/addresses", headers=headers, params=params)
        assert response.status_code == 200
        data = response.json()
        assert set(data) == {"items", "next_cursor"}
        assert len(data["items"]) == (2 if pages < 2 else 1)
        seen += [a["id"] for a in data["items"]]
        pages += 1
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(ids, reverse=True)


async def test_the_default_page_size_returns_everything_when_there_are_few(client):
    headers = await user_headers(client)
    ids = [(await add_address(client, headers))["id"] for _ in range(3)]
    data = (await client.get("/api/v1/me/addresses", headers=headers)).json()
    assert [a["id"] for a in data["items"]] == sorted(ids, reverse=True)
    assert data["next_cursor"] is None


async def test_a_full_last_page_has_no_next_cursor(client):
    headers = await user_headers(client)
    for _ in range(2):
        await add_address(client, headers)
    data = (await client.get("/api/v1/me/addresses", headers=headers, params={"limit": 2})).json()
    assert len(data["items"]) == 2
    assert data["next_cursor"] is None


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "ten"}, "limit"),
    ({"cursor": "!!!"}, "cursor"), ({"cursor": "bm90LWFuLWlk"}, "cursor"),
])
async def test_bad_page_parameters_are_refused(client, params, field):
    response = await client.get("/api/v1/me/addresses", headers=await user_headers(client), params=params)
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == [field]


async def test_limit_100_is_allowed(client):
    response = await client.get("/api/v1/me/addresses", headers=await user_headers(client), params={"limit": 100})
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_an_unknown_address_is_not_found(client):
    headers = await user_headers(client)
    url = "/api/v1/me/addresses/adr_00000000000000000000000000"
    assert_error(await client.get(url, headers=headers), 404, "NOT_FOUND")
    assert_error(await client.put(url, headers=headers, json=SNAKE_ADDRESS), 404, "NOT_FOUND")
    assert_error(await client.delete(url, headers=headers), 404, "NOT_FOUND")


async def test_addresses_need_a_token(client):
    assert_error(await client.get("/api/v1/me/addresses"), 401, "AUTH_TOKEN_MISSING")
    assert_error(await client.post("/api/v1/me/addresses", json=SNAKE_ADDRESS), 401, "AUTH_TOKEN_MISSING")
    url = "/api/v1/me/addresses/adr_00000000000000000000000000"
    assert_error(await client.get(url), 401, "AUTH_TOKEN_MISSING")
    assert_error(await client.put(url, json=SNAKE_ADDRESS), 401, "AUTH_TOKEN_MISSING")
    assert_error(await client.delete(url), 401, "AUTH_TOKEN_MISSING")
