"""Money settings need a bound phone (DESIGN.md §7): setting a PIN, raising the password-free limit."""

from __future__ import annotations

from app.auth.models import User
from tests.factories import assert_error, bearer, bind_phone, login, user_headers

PIN = "258147"


async def test_setting_a_pin_without_a_phone_is_phone_required(client):
    headers = await user_headers(client)
    error = assert_error(await client.put("/api/v1/wallet/pin", json={"pin": PIN}, headers=headers),
                         403, "PHONE_REQUIRED")
    assert error["help_id"] == "hlp_phone_required" and "手机号" in error["message"]
    assert (await client.get("/api/v1/wallet", headers=headers)).json()["pin_set"] is False
    await bind_phone(client, headers)
    assert (await client.put("/api/v1/wallet/pin", json={"pin": PIN}, headers=headers)).status_code == 204


async def test_raising_the_password_free_limit_needs_a_phone_and_lowering_does_not(client):
    tokens = await login(client)
    headers = bearer(tokens)
    await bind_phone(client, headers)
    assert (await client.put("/api/v1/wallet/pin", json={"pin": PIN}, headers=headers)).status_code == 204
    raised = await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 5000, "pin": PIN}, headers=headers)
    assert raised.status_code == 200, raised.text
    # No route unbinds a phone; a wallet set up before the rule (DESIGN §7) is in this state.
    await User.filter(id=tokens["user"]["id"]).update(phone_enc=None, phone_masked=None)
    assert_error(await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 5001, "pin": PIN},
                                    headers=headers), 403, "PHONE_REQUIRED")
    assert_error(await client.put("/api/v1/wallet/pin", json={"pin": "147258", "current_pin": PIN},
                                  headers=headers), 403, "PHONE_REQUIRED")
    lowered = await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 1000, "pin": PIN}, headers=headers)
    assert lowered.status_code == 200 and lowered.json()["pin_free_limit_fen"] == 1000
    same = await client.patch("/api/v1/wallet", json={"pin_free_limit_fen": 1000, "pin": PIN}, headers=headers)
    assert same.status_code == 200
