"""Configuration: defaults that need nothing, and one clear line naming a bad variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.core.settings import SettingsError, load_settings


def test_defaults_need_nothing(tmp_path):
    settings = load_settings({"YIJIAN_DATA_DIR": str(tmp_path)})
    assert settings.embedded and settings.sandbox
    assert settings.database_url == f"sqlite://{tmp_path / 'yijian.sqlite3'}"
    assert settings.access_ttl_s == 900 and settings.refresh_ttl_s == 2592000 and settings.order_ttl_s == 900
    assert settings.query_schedule_s == (5, 30, 60, 180, 600, 1800)
    assert settings.wxpay_api == "v3"
    # Generated once, then kept: a restart must not log everybody out.
    assert load_settings({"YIJIAN_DATA_DIR": str(tmp_path)}).jwt_secret == settings.jwt_secret
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o777 == 0o600


def test_listen_address_fills_the_urls_that_default_to_ourselves(tmp_path):
    settings = load_settings({"YIJIAN_DATA_DIR": str(tmp_path)}).with_listen_address("0.0.0.0", 9000)
    assert settings.public_base_url == "http://127.0.0.1:9000"
    assert settings.wechat_base_url == "http://127.0.0.1:9000/sandbox/wechat"
    explicit = load_settings({"YIJIAN_DATA_DIR": str(tmp_path), "YIJIAN_PUBLIC_BASE_URL": "https://shop.example.com",
                              "YIJIAN_WECHAT_BASE_URL": "http://127.0.0.1:8001/sandbox/wechat"})
    explicit = explicit.with_listen_address("127.0.0.1", 9000)
    assert explicit.public_base_url == "https://shop.example.com"
    assert explicit.wechat_base_url == "http://127.0.0.1:8001/sandbox/wechat"


@pytest.mark.parametrize("name,value", [
    ("YIJIAN_DATABASE_URL", "mysql://x"),
    ("YIJIAN_DATABASE_URL", "postgres://"),
    ("YIJIAN_REDIS_URL", "127.0.0.1:6379"),
    ("YIJIAN_WECHAT_MODE", "prod"),
    ("YIJIAN_WXPAY_API", "v4"),
    ("YIJIAN_ACCESS_TTL_S", "soon"),
    ("YIJIAN_ORDER_TTL_S", "10"),
    ("YIJIAN_QUERY_SCHEDULE_S", "5,x"),
    ("YIJIAN_SANDBOX_TIME_FACTOR", "0"),
    ("YIJIAN_JWT_SECRET", "short"),
    ("YIJIAN_ENCRYPTION_KEY", "abcd"),
    ("YIJIAN_PUBLIC_BASE_URL", "ftp://x"),
])
def test_a_malformed_setting_names_its_variable(tmp_path, name, value):
    with pytest.raises(SettingsError) as raised:
        load_settings({"YIJIAN_DATA_DIR": str(tmp_path), name: value})
    assert name in str(raised.value)


def test_live_mode_needs_its_credentials(tmp_path):
    with pytest.raises(SettingsError, match="YIJIAN_WX_APPID"):
        load_settings({"YIJIAN_DATA_DIR": str(tmp_path), "YIJIAN_WECHAT_MODE": "live"})


def test_the_command_line_stops_with_one_line_naming_the_variable(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        env={"PATH": "/usr/bin:/bin", "YIJIAN_DATA_DIR": str(tmp_path), "YIJIAN_REDIS_URL": "localhost:6379"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "YIJIAN_REDIS_URL" in lines[0]

