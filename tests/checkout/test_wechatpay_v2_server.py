"""A whole server with YIJIAN_WXPAY_API=v2, run as a real process: one-tap answers APIv2's requestPayment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile

import httpx
import pytest
from wechatpy.pay.utils import calculate_signature_hmac

from tests.servers import free_port
from tests.factories import login_code, unique_label

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
async def v2_server():
    port = free_port()
    env = {**os.environ, "YIJIAN_WXPAY_API": "v2", "YIJIAN_DATA_DIR": tempfile.mkdtemp(prefix="yijian-v2-"),
           "YIJIAN_LOG_LEVEL": "WARNING", "YIJIAN_SANDBOX_TIME_FACTOR": "100"}
    # Same storage mode as the rest of the suite: the shared PostgreSQL/Redis when set, else its own SQLite.
    password = "v2-operator-pass"
    subprocess.run([sys.executable, "-m", "app", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    username = unique_label("v2op")
    subprocess.run([sys.executable, "-m", "app", "create-operator", "--username", username, "--password", password,
                    "--role", "operator"], env=env, cwd=ROOT, check=True, capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30.0) as http:
            for _ in range(150):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                pytest.fail("the v2 server did not become ready")
            login = await http.post("/admin/v1/auth/login", json={"username": username, "password": password})
            yield http, {"Authorization": f"Bearer {login.json()['access_token']}"}
    finally:
        process.terminate()
        process.wait(timeout=20)


async def test_one_tap_on_apiv2_returns_an_hmac_signed_request_payment(v2_server):
    http, operator = v2_server
    product = (await http.post("/admin/v1/products", headers=operator, json={
        "sku": unique_label("V2-"), "name": "拿铁", "price_fen": 1800, "stock": 5, "category": unique_label("cat")})).json()
    tokens = (await http.post("/api/v1/auth/login", json={"code": login_code(unique_label())})).json()
    user = {"Authorization": f"Bearer {tokens['access_token']}"}
    await http.post("/api/v1/me/addresses", headers=user, json={"name": "王五", "phone": "13700137000",
                                                                "detail": "天河路1号", "city": "广州市"})
    response = await http.post("/api/v1/checkout/one-tap", headers={**user, "Idempotency-Key": unique_label()},
                               json={"items": [{"product_id": product["id"], "quantity": 1}]})
    assert response.status_code == 201, response.text
    params = response.json()["payment"]["request_payment"]
    assert params["signType"] == "HMAC-SHA256" and params["package"].startswith("prepay_id=")
    keys = (await http.get("/sandbox/wechat/control/keys")).json()
    signed = {"appId": keys["appid"], "timeStamp": params["timeStamp"], "nonceStr": params["nonceStr"],
              "package": params["package"], "signType": "HMAC-SHA256"}
    assert params["paySign"] == calculate_signature_hmac(signed, keys["apiv2_key"])
