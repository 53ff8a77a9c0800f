"""One user can neither see, change, delete nor choose as default another user's address."""

from __future__ import annotations

from tests.factories import assert_error, user_headers
from tests.preferences.helpers import SNAKE_ADDRESS, WX_ADDRESS, add_address, default_address_id


async def test_another_users_address_is_not_found_and_stays_untouched(client):
    alice, bob = await user_headers(client), await user_headers(client)
    address = await add_address(client, alice)
    url = f"/api/v1/me/addresses/{address['id']}"

    assert_error(await client.get(url, headers=bob), 404, "NOT_FOUND")
    assert_error(await client.put(url, headers=bob, json=WX_ADDRESS), 404, "NOT_FOUND")
    assert_error(await client.delete(url, headers=bob), 404, "NOT_FOUND")

    assert (await client.get(url, headers=alice)).json() == address
    assert (await client.get("/api/v1/me/addresses", headers=bob)).json() == {"items": [], "next_cursor": None}


async def test_another_users_address_cannot_be_my_default(client):
    alice, bob = await user_headers(client), await user_headers(client)
    alices = await add_address(client, alice)
    bobs = await add_address(client, bob)
    response = await client.patch("/api/v1/me/preferences", headers=bob, json={"default_address_id": alices["id"]})
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "default_address_id", "reason": "is not one of your addresses"}]
    assert await default_address_id(client, bob) == bobs["id"]
    assert await default_address_id(client, alice) == alices["id"]


async def test_lists_and_defaults_are_per_user(client):
    alice, bob = await user_headers(client), await user_headers(client)
    alices = await add_address(client, alice)
    bobs = await add_address(client, bob, **{**SNAKE_ADDRESS, "name": "Bob"})
    assert bobs["is_default"] is True  # Bob's first address, whatever Alice has
    for headers, address in ((alice, alices), (bob, bobs)):
        listed = (await client.get("/api/v1/me/addresses", headers=headers)).json()["items"]
        assert [a["id"] for a in listed] == [address["id"]]
