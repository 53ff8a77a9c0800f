"""The control API: keys, the key file, faults on the mini-program API."""

from __future__ import annotations

import json
import re
import stat

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from .conftest import login


def _is_pair(private_pem: str, public_pem: str) -> bool:
    private = serialization.load_pem_private_key(private_pem.encode(), None)
    public = serialization.load_pem_public_key(public_pem.encode())
    signature = private.sign(b"pair", padding.PKCS1v15(), hashes.SHA256())
    public.verify(signature, b"pair", padding.PKCS1v15(), hashes.SHA256())
    return private.key_size == 2048


async def test_keys_have_exactly_the_contract_fields(client):
    keys = (await client.get("/control/keys")).json()
    assert set(keys) == {"appid", "mchid", "merchant", "platform", "apiv3_key", "apiv2_key", "appsecret"}
    assert set(keys["merchant"]) == {"serial_no", "private_key_pem", "public_key_pem"}
    assert set(keys["platform"]) == {"public_key_id", "private_key_pem", "public_key_pem"}
    assert re.fullmatch(r"wx[0-9a-f]{16}", keys["appid"])
    assert re.fullmatch(r"[0-9a-f]{32}", keys["appsecret"])
    assert re.fullmatch(r"[1-9][0-9]{9}", keys["mchid"])
    assert re.fullmatch(r"[0-9A-F]{40}", keys["merchant"]["serial_no"])
    assert re.fullmatch(r"PUB_KEY_ID_[0-9]+", keys["platform"]["public_key_id"])
    assert re.fullmatch(r"[\x21-\x7e]{32}", keys["apiv3_key"]) and len(keys["apiv2_key"]) == 32
    assert _is_pair(keys["merchant"]["private_key_pem"], keys["merchant"]["public_key_pem"])
    assert _is_pair(keys["platform"]["private_key_pem"], keys["platform"]["public_key_pem"])
    assert keys["merchant"]["public_key_pem"] != keys["platform"]["public_key_pem"]


async def test_keys_file_is_private_and_persisted(sandbox_data_dir, keys):
    path = sandbox_data_dir / "sandbox" / "keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert {k: stored[k] for k in keys} == keys


async def test_fault_lifecycle_and_validation(client):
    created = await client.post("/control/faults", json={"kind": "api_timeout", "rate": 0.5, "apis": ["jsapi"]})
    assert created.status_code == 201
    fault = created.json()
    assert {k: fault[k] for k in ("kind", "rate", "apis", "delay_s")} == {
        "kind": "api_timeout", "rate": 0.5, "apis": ["jsapi"], "delay_s": 10.0}
    listed = (await client.get("/control/faults")).json()["items"]
    assert [f["id"] for f in listed] == [fault["id"]]
    for bad in ({"kind": "meteor", "rate": 1}, {"kind": "api_error", "rate": 2}, {"kind": "api_error"},
                {"kind": "api_error", "rate": 1, "apis": ["nope"]}, {"kind": "notify_drop", "rate": 1, "apis": ["jsapi"]}):
        answer = await client.post("/control/faults", json=bad)
        assert answer.status_code == 400 and answer.json()["code"] == "PARAM_ERROR", bad
    assert (await client.post("/control/faults", content=b"{not json")).status_code == 400
    assert (await client.delete("/control/faults")).status_code == 204
    assert (await client.get("/control/faults")).json()["items"] == []


async def test_api_error_fault_answers_system_error_and_keeps_the_code(client, keys):
    await client.post("/control/faults", json={"kind": "api_error", "rate": 1, "apis": ["jscode2session"]})
    assert await login(client, keys, "faulty:1") == {"errcode": -1, "errmsg": "system error"}
    await client.delete("/control/faults")
    assert "openid" in await login(client, keys, "faulty:1")


async def test_api_error_fault_only_hits_named_apis(client, keys):
    await client.post("/control/faults", json={"kind": "api_error", "rate": 1, "apis": ["phone"]})
    assert "openid" in await login(client, keys, "aimed:1")


async def test_api_timeout_fault_delays_the_answer(client, keys):
    import time

    await client.post("/control/faults", json={"kind": "api_timeout", "rate": 1, "apis": ["token"], "delay_s": 0.3})
    started = time.monotonic()
    answer = await client.get("/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": keys["appid"], "secret": keys["appsecret"]})
    assert time.monotonic() - started >= 0.3
    assert answer.json()["expires_in"] == 7200


async def test_control_pay_validates_input(client):
    assert (await client.post("/control/pay", json={"result": "SUCCESS"})).json()["code"] == "PARAM_ERROR"
    assert (await client.post("/control/pay", json={"prepay_id": "wx1", "result": "MAYBE"})).status_code == 400
    unknown = await client.post("/control/pay", json={"prepay_id": "wx_unknown", "result": "SUCCESS"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "PREPAY_NOT_EXIST"
