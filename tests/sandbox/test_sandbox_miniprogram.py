"""The mini-program API: login codes, access tokens, phone numbers, errcode answers."""

from __future__ import annotations

import re
import time

from app.sandbox import create_sandbox_app

from tests.servers import ServedApp

from .conftest import login

OPENID = re.compile(r"^o[A-Za-z0-9_-]{27}$")


async def test_login_code_gives_stable_openid_and_fresh_session_key(client, keys):
    first = await login(client, keys, "alice:one")
    second = await login(client, keys, "alice:two")
    other = await login(client, keys, "bob:one")
    assert set(first) == {"openid", "session_key"}
    assert OPENID.match(first["openid"])
    assert first["openid"] == second["openid"]
    assert other["openid"] != first["openid"]
    assert first["session_key"] != second["session_key"]
    assert len(first["session_key"]) == 24  # base64 of 16 bytes


async def test_login_code_works_once(client, keys):
    assert "openid" in await login(client, keys, "carol:once")
    assert await login(client, keys, "carol:once") == {"errcode": 40163, "errmsg": "code been used"}


async def test_malformed_login_code_is_invalid(client, keys):
    for code in ("no-colon", ":empty-label"):
        assert await login(client, keys, code) == {"errcode": 40029, "errmsg": "invalid code"}


async def test_wrong_app_credentials_are_refused(client, keys):
    base = {"js_code": "dave:1", "grant_type": "authorization_code"}
    wrong_appid = await client.get("/sns/jscode2session", params={**base, "appid": "wx0000000000000000", "secret": keys["appsecret"]})
    wrong_secret = await client.get("/sns/jscode2session", params={**base, "appid": keys["appid"], "secret": "0" * 32})
    assert wrong_appid.status_code == 200 and wrong_appid.json() == {"errcode": 40013, "errmsg": "invalid appid"}
    assert wrong_secret.json() == {"errcode": 40125, "errmsg": "invalid appsecret"}
    assert "openid" in await login(client, keys, "dave:1")  # the refused calls did not use the code


async def test_access_token_from_token_and_stable_token(client, keys):
    token = (await client.get("/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": keys["appid"], "secret": keys["appsecret"]})).json()
    assert set(token) == {"access_token", "expires_in"} and token["expires_in"] == 7200
    body = {"grant_type": "client_credential", "appid": keys["appid"], "secret": keys["appsecret"]}
    stable = (await client.post("/cgi-bin/stable_token", json=body)).json()
    again = (await client.post("/cgi-bin/stable_token", json=body)).json()
    assert stable["access_token"] == again["access_token"]
    refreshed = (await client.post("/cgi-bin/stable_token", json={**body, "force_refresh": True})).json()
    assert refreshed["access_token"] != stable["access_token"] and refreshed["expires_in"] == 7200
    bad = (await client.get("/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": keys["appid"], "secret": "x"})).json()
    assert bad == {"errcode": 40125, "errmsg": "invalid appsecret"}


async def test_phone_number_from_phone_code(client, keys):
    token = (await client.get("/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": keys["appid"], "secret": keys["appsecret"]})).json()["access_token"]
    before = int(time.time())
    answer = await client.post("/wxa/business/getuserphonenumber", params={"access_token": token},
                               json={"code": "phone:13800138000"})
    body = answer.json()
    assert answer.status_code == 200
    assert body["errcode"] == 0 and body["errmsg"] == "ok"
    info = body["phone_info"]
    assert (info["phoneNumber"], info["purePhoneNumber"], info["countryCode"]) == ("13800138000", "13800138000", "86")
    assert info["watermark"]["appid"] == keys["appid"] and info["watermark"]["timestamp"] >= before


async def test_phone_needs_valid_token_and_code(client, keys):
    token = (await client.get("/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": keys["appid"], "secret": keys["appsecret"]})).json()["access_token"]
    unknown = await client.post("/wxa/business/getuserphonenumber", params={"access_token": "nope"},
                                json={"code": "phone:13800138000"})
    assert unknown.json()["errcode"] == 40001
    for code in ("phone:1380013800", "13800138000", "phone:abcdefghijk"):
        bad = await client.post("/wxa/business/getuserphonenumber", params={"access_token": token}, json={"code": code})
        assert bad.json() == {"errcode": 40029, "errmsg": "invalid code"}


async def test_openid_survives_restart_and_state_is_per_sandbox(sandbox_data_dir, client, keys):
    first = await login(client, keys, "erin:restart")
    other = await ServedApp(create_sandbox_app(sandbox_data_dir, 1000, name="sandbox_restarted")).start()
    try:
        import httpx

        async with httpx.AsyncClient(base_url=other.origin + "/sandbox/wechat") as http:
            assert (await http.get("/control/keys")).json() == keys
            # the same code is unused in the other sandbox: runtime state is not shared
            second = await login(http, keys, "erin:restart")
    finally:
        await other.stop()
    assert second["openid"] == first["openid"]
