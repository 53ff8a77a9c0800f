"""Configuration: every setting comes from a `YIJIAN_*` environment variable with a default that needs nothing."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

PAYMENT_METHODS = ("wechatpay", "wallet")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable in one line."""


@dataclass(frozen=True)
class LiveCredentials:
    appid: str
    secret: str
    mchid: str = ""
    merchant_key_path: str = ""
    merchant_serial_no: str = ""
    apiv3_key: str = ""
    platform_public_key_path: str = ""
    platform_public_key_id: str = ""
    apiv2_key: str = ""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    public_base_url: str
    wechat_mode: str
    wechat_base_url: str | None
    wxpay_api: str
    jwt_secret: str
    encryption_key: bytes
    access_ttl_s: int = 900
    refresh_ttl_s: int = 2_592_000
    order_ttl_s: int = 900
    query_schedule_s: tuple[int, ...] = (5, 30, 60, 180, 600, 1800)
    sandbox_time_factor: float = 1.0
    log_level: str = "INFO"
    live: LiveCredentials | None = None
    metrics_token: str | None = None  # opens /metrics to callers that are not on loopback (DESIGN.md §6.3)
    extra: dict = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        """True when nothing external is configured: SQLite and the in-process Redis stand-in."""
        return self.database_url.startswith("sqlite") and self.redis_url is None

    @property
    def sandbox(self) -> bool:
        return self.wechat_mode == "sandbox"

    def with_listen_address(self, host: str, port: int) -> Settings:
        """Fill the URLs that default to where this server itself listens (unless set explicitly)."""
        changes: dict = {}
        local = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"
        if self.extra.get("public_base_url_default"):
            changes["public_base_url"] = local
        if self.sandbox and self.wechat_base_url is None:
            changes["wechat_base_url"] = f"{local}/sandbox/wechat"
        return replace(self, **changes) if changes else self


def _env(environ: dict, name: str) -> str | None:
    value = environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _int(environ: dict, name: str, default: int, minimum: int = 1) -> int:
    raw = _env(environ, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _url(environ: dict, name: str, schemes: tuple[str, ...]) -> str | None:
    raw = _env(environ, name)
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        raise SettingsError(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}, got {raw!r}")
    if parts.scheme.startswith("sqlite"):
        if not parts.path or parts.path == "/":
            raise SettingsError(f"{name} needs a file path, e.g. sqlite:///abs/path/db.sqlite3")
    elif not parts.hostname:
        raise SettingsError(f"{name} needs a host, got {raw!r}")
    return raw.rstrip("/") if parts.scheme.startswith("http") else raw


def _choice(environ: dict, name: str, choices: tuple[str, ...], default: str) -> str:
    raw = _env(environ, name) or default
    if raw not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _secret_file(path: Path, make) -> bytes:
    """Read a generated secret, creating it once (mode 0600) on the first start."""
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    return value


def _live_credentials(environ: dict) -> LiveCredentials:
    required = ("YIJIAN_WX_APPID", "YIJIAN_WX_SECRET")
    for name in required:
        if not _env(environ, name):
            raise SettingsError(f"{name} is required when YIJIAN_WECHAT_MODE=live")
    return LiveCredentials(
        appid=_env(environ, "YIJIAN_WX_APPID") or "",
        secret=_env(environ, "YIJIAN_WX_SECRET") or "",
        mchid=_env(environ, "YIJIAN_WXPAY_MCHID") or "",
        merchant_key_path=_env(environ, "YIJIAN_WXPAY_MERCHANT_KEY_PATH") or "",
        merchant_serial_no=_env(environ, "YIJIAN_WXPAY_MERCHANT_SERIAL_NO") or "",
        apiv3_key=_env(environ, "YIJIAN_WXPAY_APIV3_KEY") or "",
        platform_public_key_path=_env(environ, "YIJIAN_WXPAY_PLATFORM_PUBLIC_KEY_PATH") or "",
        platform_public_key_id=_env(environ, "YIJIAN_WXPAY_PLATFORM_PUBLIC_KEY_ID") or "",
        apiv2_key=_env(environ, "YIJIAN_WXPAY_APIV2_KEY") or "",
    )


def _metrics_token(environ: dict) -> str | None:
    token = _env(environ, "YIJIAN_METRICS_TOKEN")
    if token is not None and len(token) < 16:
        raise SettingsError("YIJIAN_METRICS_TOKEN must be at least 16 characters")
    return token


def load_settings(environ: dict | None = None) -> Settings:
    """Build the settings from the environment; raise SettingsError naming the first bad variable."""
    environ = dict(os.environ if environ is None else environ)
    data_dir = Path(_env(environ, "YIJIAN_DATA_DIR") or "var").expanduser().resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"YIJIAN_DATA_DIR {str(data_dir)!r} cannot be created: {exc.strerror}") from None

    database_url = _url(environ, "YIJIAN_DATABASE_URL", ("postgres", "sqlite")) or f"sqlite://{data_dir / 'yijian.sqlite3'}"
    redis_url = _url(environ, "YIJIAN_REDIS_URL", ("redis", "rediss", "unix"))
    public_base_url = _url(environ, "YIJIAN_PUBLIC_BASE_URL", ("http", "https"))
    wechat_mode = _choice(environ, "YIJIAN_WECHAT_MODE", ("sandbox", "live"), "sandbox")
    wechat_base_url = _url(environ, "YIJIAN_WECHAT_BASE_URL", ("http", "https"))
    if wechat_mode == "live" and wechat_base_url is None:
        wechat_base_url = "https://api.weixin.qq.com"

    jwt_secret = _env(environ, "YIJIAN_JWT_SECRET")
    if jwt_secret is not None and len(jwt_secret) < 32:
        raise SettingsError("YIJIAN_JWT_SECRET must be at least 32 characters")
    if jwt_secret is None:
        jwt_secret = _secret_file(data_dir / "jwt_secret", lambda: secrets.token_urlsafe(48).encode()).decode()

    raw_key = _env(environ, "YIJIAN_ENCRYPTION_KEY")
    if raw_key is not None:
        try:
            encryption_key = bytes.fromhex(raw_key)
        except ValueError:
            raise SettingsError("YIJIAN_ENCRYPTION_KEY must be 64 hex characters (32 bytes)") from None
        if len(encryption_key) != 32:
            raise SettingsError("YIJIAN_ENCRYPTION_KEY must be 64 hex characters (32 bytes)")
    else:
        encryption_key = bytes.fromhex(
            _secret_file(data_dir / "encryption_key", lambda: secrets.token_hex(32).encode()).decode()
        )

    schedule_raw = _env(environ, "YIJIAN_QUERY_SCHEDULE_S") or "5,30,60,180,600,1800"
    try:
        query_schedule = tuple(int(part) for part in schedule_raw.split(","))
    except ValueError:
        raise SettingsError(f"YIJIAN_QUERY_SCHEDULE_S must be comma-separated seconds, got {schedule_raw!r}") from None
    if not query_schedule or min(query_schedule) < 1:
        raise SettingsError("YIJIAN_QUERY_SCHEDULE_S must list positive seconds")

    factor_raw = _env(environ, "YIJIAN_SANDBOX_TIME_FACTOR") or "1"
    try:
        time_factor = float(factor_raw)
    except ValueError:
        raise SettingsError(f"YIJIAN_SANDBOX_TIME_FACTOR must be a number, got {factor_raw!r}") from None
    if time_factor <= 0:
        raise SettingsError("YIJIAN_SANDBOX_TIME_FACTOR must be positive")

    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        public_base_url=public_base_url or "http://127.0.0.1:8000",
        wechat_mode=wechat_mode,
        wechat_base_url=wechat_base_url,
        wxpay_api=_choice(environ, "YIJIAN_WXPAY_API", ("v3", "v2"), "v3"),
        jwt_secret=jwt_secret,
        encryption_key=encryption_key,
        access_ttl_s=_int(environ, "YIJIAN_ACCESS_TTL_S", 900),
        refresh_ttl_s=_int(environ, "YIJIAN_REFRESH_TTL_S", 2_592_000),
        order_ttl_s=_int(environ, "YIJIAN_ORDER_TTL_S", 900, minimum=60),
        query_schedule_s=query_schedule,
        sandbox_time_factor=time_factor,
        log_level=_choice(environ, "YIJIAN_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
        live=_live_credentials(environ) if wechat_mode == "live" else None,
        metrics_token=_metrics_token(environ),
        extra={"public_base_url_default": public_base_url is None},
    )
