"""Operators managing promotions: create, validation per kind, patch, list, audit (DESIGN.md §3, §6)."""

from __future__ import annotations

import pytest

from tests.factories import assert_error, make_promotion, operator_headers, unique_label

KEYS = {"id", "name", "kind", "amount_off_fen", "percent_off", "threshold_fen", "enabled", "starts_at", "ends_at",
        "priority", "stackable", "per_user_limit", "budget_fen", "budget_used_fen", "conditions", "created_at",
        "updated_at", "version"}


async def _post(client, **body):
    return await client.post("/admin/v1/promotions", json={"name": unique_label("p"), **body},
                             headers=await operator_headers(client))


async def test_create_a_threshold_promotion_with_every_condition(client):
    response = await _post(client, kind="threshold", threshold_fen=10000, amount_off_fen=2000, priority=5,
                           stackable=True, per_user_limit=1, budget_fen=100000,
                           starts_at="2026-01-01T00:00:00Z", ends_at="2027-01-01T00:00:00+08:00",
                           conditions={"payment_method": ["wallet"], "categories": ["咖啡"], "cities": ["广州市"],
                                       "new_user_only": True, "hours": {"from": "08:00", "to": "11:00"}})
    assert response.status_code == 201, response.text
    promotion = response.json()
    assert set(promotion) == KEYS
    assert promotion["id"].startswith("pro_")
    assert (promotion["kind"], promotion["threshold_fen"], promotion["amount_off_fen"]) == ("threshold", 10000, 2000)
    assert promotion["percent_off"] is None
    assert promotion["enabled"] is True and promotion["version"] == 1 and promotion["budget_used_fen"] == 0
    assert promotion["starts_at"] == "2026-01-01T00:00:00Z"
    assert promotion["ends_at"] == "2026-12-31T16:00:00Z"  # stored and answered in UTC
    assert promotion["conditions"] == {"payment_method": ["wallet"], "categories": ["咖啡"], "cities": ["广州市"],
                                       "new_user_only": True, "hours": {"from": "08:00", "to": "11:00"}}


async def test_defaults_and_amounts_the_kind_does_not_use_are_dropped(client):
    promotion = (await _post(client, kind="percent_off", percent_off=10, amount_off_fen=500)).json()
    assert promotion["percent_off"] == 10 and promotion["amount_off_fen"] is None
    assert (promotion["priority"], promotion["stackable"], promotion["per_user_limit"], promotion["budget_fen"]) == \
        (0, False, None, None)
    assert promotion["conditions"] == {"payment_method": [], "categories": [], "cities": [],
                                       "new_user_only": False, "hours": None}


@pytest.mark.parametrize("body, field, reason_part", [
    ({"kind": "amount_off"}, "amount_off_fen", "required for kind amount_off"),
    ({"kind": "amount_off", "amount_off_fen": 0}, "amount_off_fen", "greater than or equal to 1"),
    ({"kind": "percent_off"}, "percent_off", "required"),
    ({"kind": "percent_off", "percent_off": 0}, "percent_off", "greater than or equal to 1"),
    ({"kind": "percent_off", "percent_off": 100}, "percent_off", "less than or equal to 99"),
    ({"kind": "threshold", "threshold_fen": 1000}, "amount_off_fen", "required"),
    ({"kind": "threshold", "threshold_fen": 1000, "amount_off_fen": 1000}, "threshold_fen", "greater than amount_off"),
    ({"kind": "bogo", "amount_off_fen": 1}, "kind", "amount_off"),
    ({"kind": "amount_off", "amount_off_fen": 1, "starts_at": "2026-02-01T00:00:00Z",
      "ends_at": "2026-01-01T00:00:00Z"}, "ends_at", "after starts_at"),
    ({"kind": "amount_off", "amount_off_fen": 1, "conditions": {"payment_method": ["alipay"]}},
     "conditions.payment_method.0", "wechatpay"),
    ({"kind": "amount_off", "amount_off_fen": 1, "conditions": {"hours": {"from": "8:00", "to": "11:00"}}},
     "conditions.hours.from", "HH:MM"),
    ({"kind": "amount_off", "amount_off_fen": 1, "conditions": {"hours": {"from": "08:00", "to": "24:01"}}},
     "conditions.hours.to", "HH:MM"),
    ({"kind": "amount_off", "amount_off_fen": 1, "conditions": {"hours": {"from": "08:00"}}},
     "conditions.hours.to", "required"),
    ({"kind": "amount_off", "amount_off_fen": 1, "conditions": {"hours": {"from": "08:00", "to": "08:00"}}},
     "conditions.hours.to", "differ"),
    ({"kind": "amount_off", "amount_off_fen": 1, "per_user_limit": 0}, "per_user_limit", "greater than or equal"),
])
async def test_validation_names_the_dotted_field(client, body, field, reason_part):
    error = assert_error(await _post(client, **body), 422, "VALIDATION_FAILED")
    assert [f["field"] for f in error["fields"]] == [field], error["fields"]
    assert reason_part in error["fields"][0]["reason"]


async def test_a_window_wrapping_midnight_is_accepted(client):
    promotion = (await _post(client, kind="amount_off", amount_off_fen=1,
                             conditions={"hours": {"from": "22:00", "to": "02:00"}})).json()
    assert promotion["conditions"]["hours"] == {"from": "22:00", "to": "02:00"}


async def test_patch_any_subset_answers_the_whole_promotion_and_bumps_its_version(client):
    promotion = await make_promotion(client, budget_fen=5000)
    response = await client.patch(f"/admin/v1/promotions/{promotion['id']}", headers=await operator_headers(client),
                                  json={"enabled": False, "priority": 9, "budget_fen": None})
    assert response.status_code == 200
    patched = response.json()
    assert set(patched) == KEYS
    assert (patched["enabled"], patched["priority"], patched["budget_fen"]) == (False, 9, None)
    assert patched["name"] == promotion["name"] and patched["amount_off_fen"] == promotion["amount_off_fen"]
    assert patched["version"] == promotion["version"] + 1


async def test_patch_is_checked_against_the_merged_promotion(client):
    promotion = await make_promotion(client, kind="threshold", threshold_fen=3000, amount_off_fen=500)
    headers = await operator_headers(client)
    error = assert_error(await client.patch(f"/admin/v1/promotions/{promotion['id']}", json={"threshold_fen": 400},
                                            headers=headers), 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "threshold_fen", "reason": "must be greater than amount_off_fen"}]
    error = assert_error(await client.patch(f"/admin/v1/promotions/{promotion['id']}", json={"kind": "percent_off"},
                                            headers=headers), 422, "VALIDATION_FAILED")
    assert error["fields"][0]["field"] == "percent_off"
    error = assert_error(await client.patch(f"/admin/v1/promotions/{promotion['id']}", json={"enabled": None},
                                            headers=headers), 422, "VALIDATION_FAILED")
    assert error["fields"] == [{"field": "enabled", "reason": "must not be null"}]
    unchanged = (await client.get(f"/admin/v1/promotions/{promotion['id']}", headers=headers)).json()
    assert unchanged == promotion


async def test_patch_changes_kind_when_the_new_amounts_come_along(client):
    promotion = await make_promotion(client)
    patched = (await client.patch(f"/admin/v1/promotions/{promotion['id']}", json={"kind": "percent_off",
                                  "percent_off": 15}, headers=await operator_headers(client))).json()
    assert (patched["kind"], patched["percent_off"], patched["amount_off_fen"]) == ("percent_off", 15, None)


async def test_unknown_promotion_is_404(client):
    headers = await operator_headers(client)
    assert_error(await client.get("/admin/v1/promotions/pro_nope", headers=headers), 404, "NOT_FOUND")
    assert_error(await client.patch("/admin/v1/promotions/pro_nope", json={"enabled": False}, headers=headers),
                 404, "NOT_FOUND")


async def test_list_newest_first_filtered_by_enabled(client):
    on = await make_promotion(client)
    off = await make_promotion(client, enabled=False)
    headers = await operator_headers(client, "analyst")
    everything = (await client.get("/admin/v1/promotions", params={"limit": 2}, headers=headers)).json()
    assert [item["id"] for item in everything["items"]] == [off["id"], on["id"]]
    disabled = (await client.get("/admin/v1/promotions", params={"enabled": "false"}, headers=headers)).json()
    assert off["id"] in {item["id"] for item in disabled["items"]}
    assert all(item["enabled"] is False for item in disabled["items"])
    assert_error(await client.get("/admin/v1/promotions", params={"enabled": "maybe"}, headers=headers),
                 422, "VALIDATION_FAILED")


async def test_changes_are_audited_with_before_and_after(client):
    promotion = await make_promotion(client)
    await client.patch(f"/admin/v1/promotions/{promotion['id']}", json={"enabled": False},
                       headers=await operator_headers(client))
    entries = (await client.get("/admin/v1/audit", params={"target_id": promotion["id"]},
                                headers=await operator_headers(client, "analyst"))).json()["items"]
    assert [entry["action"] for entry in entries] == ["promotion.update", "promotion.create"]
    assert entries[0]["before"]["enabled"] is True and entries[0]["after"]["enabled"] is False
    assert entries[0]["target_type"] == "promotion"
