"""Bodies and small helpers shared by the preferences tests."""

from __future__ import annotations

import random

import httpx

# What wx.chooseAddress hands the mini-program, passed on unchanged.
WX_ADDRESS = {
    "errMsg": "chooseAddress:ok",
    "userName": "张三",
    "telNumber": "020-81167888",
    "provinceName": "广东省",
    "cityName": "广州市",
    "countyName": "海珠区",
    "detailInfo": "新港中路397号",
    "postalCode": "510000",
    "nationalCode": "440105",
}

SNAKE_ADDRESS = {
    "name": "李四",
    "phone": "+86-13912345678",
    "province": "北京市",
    "city": "北京市",
    "district": "朝阳区",
    "detail": "建国路88号",
    "postal_code": "100022",
}

ADDRESS_KEYS = {"id", "name", "phone", "province", "city", "district", "detail", "postal_code",
                "national_code", "is_default", "created_at", "updated_at"}


def random_mobile() -> str:
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


async def add_address(client: httpx.AsyncClient, headers: dict, **overrides) -> dict:
    response = await client.post("/api/v1/me/addresses", headers=headers, json={**SNAKE_ADDRESS, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


async def default_address_id(client: httpx.AsyncClient, headers: dict) -> str | None:
    response = await client.get("/api/v1/me/preferences", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["default_address_id"]
