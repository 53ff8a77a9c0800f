"""Invoice title: wx.chooseInvoiceTitle's object or snake_case, validation, get and delete (DESIGN.md §3)."""

from __future__ import annotations

import asyncio

import pytest

from tests.factories import assert_error, user_headers

WX_COMPANY = {
    "errMsg": "chooseInvoiceTitle:ok",
    "type": 0,
    "title": "腾讯科技（深圳）有限公司",
    "taxNumber": "91440300708461136t",
    "companyAddress": "深圳市南山区科技中一路腾讯大厦",
    "telephone": "0755-86013388",
    "bankName": "招商银行深圳分行",
    "bankAccount": "755901234567890",
}
COMPANY_OUT = {
    "type": "company",
    "title": "腾讯科技（深圳）有限公司",
    "tax_number": "91440300708461136T",
    "company_address": "深圳市南山区科技中一路腾讯大厦",
    "telephone": "0755-86013388",
    "bank_name": "招商银行深圳分行",
    "bank_account": "755901234567890",
}
PERSONAL_OUT = {"type": "personal", "title": "张三", "tax_number": "", "company_address": "", "telephone": "",
                "bank_name": "", "bank_account": ""}


def _content(invoice: dict) -> dict:
    assert invoice["updated_at"].endswith("Z")
    return {key: value for key, value in invoice.items() if key != "updated_at"}


async def test_wx_choose_invoice_title_object_is_saved_and_answered_in_snake_case(client):
    headers = await user_headers(client)
    response = await client.put("/api/v1/me/invoice", headers=headers, json=WX_COMPANY)
    assert response.status_code == 200
    assert _content(response.json()) == COMPANY_OUT
    fetched = await client.get("/api/v1/me/invoice", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json() == response.json()
    assert (await client.get("/api/v1/me/preferences", headers=headers)).json()["invoice"] == response.json()


@pytest.mark.parametrize(("sent", "expected"), [
    (0, "company"), ("0", "company"), ("company", "company"), (1, "personal"), ("1", "personal"),
    ("personal", "personal"),
])
async def test_invoice_type_is_accepted_as_number_or_string(client, sent, expected):
    response = await client.put("/api/v1/me/invoice", headers=await user_headers(client),
                                json={**WX_COMPANY, "type": sent})
    assert response.status_code == 200
    assert response.json()["type"] == expected


async def test_snake_case_personal_title_is_saved(client):
    headers = await user_headers(client)
    response = await client.put("/api/v1/me/invoice", headers=headers, json={"type": "personal", "title": "张三"})
    assert response.status_code == 200
    assert _content(response.json()) == PERSONAL_OUT


async def test_put_replaces_the_previous_title(client):
    headers = await user_headers(client)
    await client.put("/api/v1/me/invoice", headers=headers, json=WX_COMPANY)
    response = await client.put("/api/v1/me/invoice", headers=headers, json={"type": 1, "title": "张三"})
    assert _content(response.json()) == PERSONAL_OUT
    assert _content((await client.get("/api/v1/me/invoice", headers=headers)).json()) == PERSONAL_OUT


async def test_a_company_title_needs_a_tax_number(client):
    body = {key: value for key, value in WX_COMPANY.items() if key != "taxNumber"}
    error = assert_error(await client.put("/api/v1/me/invoice", headers=await user_headers(client), json=body),
                         422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "tax_number", "reason": "is required for a company title"}]


@pytest.mark.parametrize(("field", "value", "reported"), [
    ("taxNumber", "12345678901234", "tax_number"), ("taxNumber", "1" * 21, "tax_number"),
    ("taxNumber", "91440300-0846113", "tax_number"), ("type", 2, "type"), ("type", True, "type"),
    ("type", "单位x", "type"), ("title", "", "title"), ("title", "名" * 129, "title"),
    ("telephone", "call us", "telephone"), ("bankAccount", "1" * 65, "bank_account"),
])
async def test_invalid_invoice_fields_are_refused(client, field, value, reported):
    response = await client.put("/api/v1/me/invoice", headers=await user_headers(client),
                                json={**WX_COMPANY, field: value})
    error = assert_error(response, 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == [reported]


async def test_missing_type_and_title_are_named(client):
    error = assert_error(await client.put("/api/v1/me/invoice", headers=await user_headers(client), json={}),
                         422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == ["type", "title"]


async def test_no_title_is_not_found_and_delete_removes_it(client):
    headers = await user_headers(client)
    assert_error(await client.get("/api/v1/me/invoice", headers=headers), 404, "NOT_FOUND")
    await client.put("/api/v1/me/invoice", headers=headers, json=WX_COMPANY)
    response = await client.delete("/api/v1/me/invoice", headers=headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(await client.get("/api/v1/me/invoice", headers=headers), 404, "NOT_FOUND")
    assert (await client.get("/api/v1/me/preferences", headers=headers)).json()["invoice"] is None
    assert (await client.delete("/api/v1/me/invoice", headers=headers)).status_code == 204


async def test_concurrent_first_saves_keep_one_title(client):
    headers = await user_headers(client)
    responses = await asyncio.gather(*[
        client.put("/api/v1/me/invoice", headers=headers, json={"type": 1, "title": f"张{i}"}) for i in range(5)
    ])
    assert [r.status_code for r in responses] == [200] * 5
    saved = (await client.get("/api/v1/me/invoice", headers=headers)).json()
    assert saved["title"] in {f"张{i}" for i in range(5)}


async def test_invoice_titles_are_per_user(client):
    alice, bob = await user_headers(client), await user_headers(client)
    await client.put("/api/v1/me/invoice", headers=alice, json=WX_COMPANY)
    assert_error(await client.get("/api/v1/me/invoice", headers=bob), 404, "NOT_FOUND")
    await client.delete("/api/v1/me/invoice", headers=bob)
    assert (await client.get("/api/v1/me/invoice", headers=alice)).status_code == 200


async def test_invoice_needs_a_token(client):
    assert_error(await client.get("/api/v1/me/invoice"), 401, "AUTH_TOKEN_MISSING")
    assert_error(await client.put("/api/v1/me/invoice", json=WX_COMPANY), 401, "AUTH_TOKEN_MISSING")
    assert_error(await client.delete("/api/v1/me/invoice"), 401, "AUTH_TOKEN_MISSING")
