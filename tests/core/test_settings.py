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



def test_the_data_dir_and_the_sqlite_file_are_created_private(tmp_path):
    data_dir = tmp_path / "fresh" / "var"
    settings = load_settings({"YIJIAN_DATA_DIR": str(data_dir)})
    assert data_dir.stat().st_mode & 0o777 == 0o700
    assert (data_dir / "yijian.sqlite3").stat().st_mode & 0o777 == 0o600
    assert settings.database_url == f"sqlite://{data_dir / 'yijian.sqlite3'}"
    for name in ("jwt_secret", "encryption_key"):
        assert (data_dir / name).stat().st_mode & 0o777 == 0o600
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".")] == []  # no temporary file left behind


@pytest.mark.parametrize("name,content,problem", [
    ("jwt_secret", "", "is empty"),
    ("jwt_secret", "\n", "is empty"),
    ("jwt_secret", "too-short-to-sign-tokens", "at least 32 characters"),
    ("encryption_key", "", "is empty"),
    ("encryption_key", "ab" * 16, "64 hex characters"),
    ("encryption_key", "zz" * 32, "64 hex characters"),
])
def test_a_generated_secret_is_checked_like_a_configured_one(tmp_path, name, content, problem):
    secret = tmp_path / name
    secret.write_text(content)
    secret.chmod(0o600)
    with pytest.raises(SettingsError) as raised:
        load_settings({"YIJIAN_DATA_DIR": str(tmp_path)})
    message = str(raised.value)
    assert str(secret) in message and problem in message
    assert f"YIJIAN_{name.upper()}" in message  # says what to set instead
    assert secret.read_text() == content  # never replaced behind the operator's back


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_secret_file_open_to_other_users_stops_start_up(tmp_path, mode):
    settings = load_settings({"YIJIAN_DATA_DIR": str(tmp_path)})
    (tmp_path / "jwt_secret").chmod(mode)
    with pytest.raises(SettingsError, match=f"jwt_secret.*mode {mode:04o}.*chmod 600"):
        load_settings({"YIJIAN_DATA_DIR": str(tmp_path)})
    (tmp_path / "jwt_secret").chmod(0o600)
    assert load_settings({"YIJIAN_DATA_DIR": str(tmp_path)}).jwt_secret == settings.jwt_secret


def test_configured_secrets_write_no_file(tmp_path):
    load_settings({"YIJIAN_DATA_DIR": str(tmp_path), "YIJIAN_JWT_SECRET": "s" * 32,
                   "YIJIAN_ENCRYPTION_KEY": "ab" * 32})
    assert not (tmp_path / "jwt_secret").exists() and not (tmp_path / "encryption_key").exists()


def test_an_empty_secret_file_stops_the_command_line_with_one_line(tmp_path):
    (tmp_path / "jwt_secret").write_text("")
    (tmp_path / "jwt_secret").chmod(0o600)
    result = subprocess.run([sys.executable, "-m", "app", "migrate"],
                            env={"PATH": "/usr/bin:/bin", "YIJIAN_DATA_DIR": str(tmp_path)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "jwt_secret" in lines[0] and "is empty" in lines[0]


def _live(tmp_path, **overrides) -> dict:
    """Everything live mode needs, with files for the two keys; `NAME=None` leaves a variable out."""
    (tmp_path / "merchant.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    (tmp_path / "platform.pem").write_text("-----BEGIN PUBLIC KEY-----\n")
    environ = {
        "YIJIAN_DATA_DIR": str(tmp_path / "var"), "YIJIAN_WECHAT_MODE": "live",
        "YIJIAN_WX_APPID": "wx0123456789abcdef", "YIJIAN_WX_SECRET": "s" * 32, "YIJIAN_WXPAY_MCHID": "1900000001",
        "YIJIAN_WXPAY_MERCHANT_KEY_PATH": str(tmp_path / "merchant.pem"),
        "YIJIAN_WXPAY_MERCHANT_SERIAL_NO": "5157F09EFDC096DE15EBE81A47057A72", "YIJIAN_WXPAY_APIV3_KEY": "k" * 32,
        "YIJIAN_WXPAY_PLATFORM_PUBLIC_KEY_PATH": str(tmp_path / "platform.pem"),
        "YIJIAN_WXPAY_PLATFORM_PUBLIC_KEY_ID": "PUB_KEY_ID_0114232134912410000000000000",
        "YIJIAN_JWT_SECRET": "j" * 40, "YIJIAN_ENCRYPTION_KEY": "ab" * 32,
        "YIJIAN_DATABASE_URL": "postgres://yijian@db.internal:5432/yijian", "YIJIAN_REDIS_URL": "redis://cache:6379/0",
        "YIJIAN_PUBLIC_BASE_URL": "https://pay.example.com",
    }
    environ.update(overrides)
    return {name: value for name, value in environ.items() if value is not None}


def test_live_mode_starts_with_everything_configured(tmp_path):
    settings = load_settings(_live(tmp_path))
    assert settings.live is not None and settings.live.mchid == "1900000001"
    assert settings.wechat_base_url == "https://api.weixin.qq.com"
    assert sorted(p.name for p in (tmp_path / "var").iterdir()) == []  # no generated secret, no SQLite file


@pytest.mark.parametrize("left_out,named", [
    ("YIJIAN_WXPAY_APIV3_KEY", "YIJIAN_WXPAY_APIV3_KEY"),
    ("YIJIAN_WXPAY_PLATFORM_PUBLIC_KEY_ID", "YIJIAN_WXPAY_PLATFORM_PUBLIC_KEY_ID"),
    ("YIJIAN_JWT_SECRET", "YIJIAN_JWT_SECRET (not a generated one)"),
    ("YIJIAN_ENCRYPTION_KEY", "YIJIAN_ENCRYPTION_KEY (not a generated one)"),
    ("YIJIAN_DATABASE_URL", "YIJIAN_DATABASE_URL=postgres://"),
    ("YIJIAN_REDIS_URL", "YIJIAN_REDIS_URL=redis://"),
    ("YIJIAN_PUBLIC_BASE_URL", "YIJIAN_PUBLIC_BASE_URL=https://"),
])
def test_live_mode_names_what_it_lacks(tmp_path, left_out, named):
    with pytest.raises(SettingsError) as raised:
        load_settings(_live(tmp_path, **{left_out: None}))
    assert named in str(raised.value)
    assert str(raised.value).count("YIJIAN_") == 2  # the mode and the one thing missing
    assert not (tmp_path / "var" / "jwt_secret").exists()  # a refused live start generates nothing


@pytest.mark.parametrize("overrides,named", [
    ({"YIJIAN_DATABASE_URL": "sqlite:///tmp/yijian.sqlite3"}, "YIJIAN_DATABASE_URL=postgres://"),
    ({"YIJIAN_PUBLIC_BASE_URL": "http://pay.example.com"}, "YIJIAN_PUBLIC_BASE_URL=https://"),
    ({"YIJIAN_WXPAY_MERCHANT_KEY_PATH": "/nonexistent/merchant.pem"}, "no readable file at '/nonexistent/merchant.pem'"),
    ({"YIJIAN_WXPAY_APIV3_KEY": "short"}, "YIJIAN_WXPAY_APIV3_KEY (32 characters)"),
    ({"YIJIAN_WXPAY_API": "v2", "YIJIAN_WXPAY_APIV3_KEY": None}, "YIJIAN_WXPAY_APIV2_KEY"),
])
def test_live_mode_refuses_what_cannot_work(tmp_path, overrides, named):
    with pytest.raises(SettingsError) as raised:
        load_settings(_live(tmp_path, **overrides))
    assert named in str(raised.value)


def test_live_mode_with_nothing_names_everything_in_one_line(tmp_path):
    with pytest.raises(SettingsError) as raised:
        load_settings({"YIJIAN_DATA_DIR": str(tmp_path), "YIJIAN_WECHAT_MODE": "live"})
    message = str(raised.value)
    assert "\n" not in message
    for name in ("YIJIAN_WX_APPID", "YIJIAN_WX_SECRET", "YIJIAN_WXPAY_MCHID", "YIJIAN_WXPAY_MERCHANT_KEY_PATH",
                 "YIJIAN_WXPAY_APIV3_KEY", "YIJIAN_WXPAY_PLATFORM_PUBLIC_KEY_PATH", "YIJIAN_JWT_SECRET",
                 "YIJIAN_ENCRYPTION_KEY", "YIJIAN_DATABASE_URL", "YIJIAN_REDIS_URL", "YIJIAN_PUBLIC_BASE_URL"):
        assert name in message


def test_rate_limits_default_to_the_contract_and_can_be_changed_or_switched_off(tmp_path):
    """DESIGN.md §1, §7: `one_tap_user=10/60,feedback_user=5/3600`; a name left out keeps its default."""
    base = {"YIJIAN_DATA_DIR": str(tmp_path)}
    assert load_settings(base).rate_limits == {"one_tap_user": (10, 60), "feedback_user": (5, 3600)}
    assert load_settings({**base, "YIJIAN_RATE_LIMITS": "off"}).rate_limits == {}
    assert load_settings({**base, "YIJIAN_RATE_LIMITS": " one_tap_user=30/60 "}).rate_limits == {
        "one_tap_user": (30, 60), "feedback_user": (5, 3600)}


@pytest.mark.parametrize("value", ["one_tap=10/60", "one_tap_user=10", "one_tap_user=0/60", "one_tap_user=10/0",
                                   "feedback_user=x/60", "on"])
def test_a_malformed_rate_limit_stops_start_up_naming_the_variable(tmp_path, value):
    with pytest.raises(SettingsError, match="YIJIAN_RATE_LIMITS"):
        load_settings({"YIJIAN_DATA_DIR": str(tmp_path), "YIJIAN_RATE_LIMITS": value})
