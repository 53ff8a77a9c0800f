"""Configuration: every setting comes from a `YIJIAN_*` environment variable with a default that needs nothing."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable
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


DEFAULT_RATE_LIMITS = {"one_tap_user": (10, 60), "feedback_user": (5, 3600)}


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
    # DESIGN.md §7: name → (count, seconds); empty when YIJIAN_RATE_LIMITS=off.
    rate_limits: dict = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
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


def _jwt_secret_problem(value: str) -> str | None:
    return None if len(value) >= 32 else "must be at least 32 characters"


def _encryption_key_problem(value: str) -> str | None:
    try:
        if len(bytes.fromhex(value)) == 32:
            return None
    except ValueError:
        pass
    return "must be 64 hex characters (32 bytes)"


def _configured_secret(environ: dict, name: str, problem: Callable[[str], str | None]) -> str | None:
    value = _env(environ, name)
    reason = problem(value) if value is not None else None
    if reason is not None:
        raise SettingsError(f"{name} {reason}")
    return value


def _create_private_file(path: Path, content: str) -> None:
    """Create `path` (mode 0600) holding `content`, whole or not at all: written aside, then linked into place,
    so a crash never leaves an empty secret behind and two processes starting at once keep the first one's."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
    finally:
        temp.unlink(missing_ok=True)


def _secret_file(path: Path, variable: str, make: Callable[[], str], problem: Callable[[str], str | None],
                 lost: str) -> str:
    """The secret generated under the data dir when `variable` is not set: made once, then checked on every start
    like a configured one. A file others may read is refused, not quietly fixed: it may already have leaked."""
    try:
        if not path.exists():
            _create_private_file(path, make())
        mode = path.stat().st_mode & 0o777
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} (the generated {variable}) cannot be read: "
                            f"{getattr(exc, 'strerror', None) or exc}") from None
    if mode & 0o077:
        raise SettingsError(f"{path} (the generated {variable}) is open to other users (mode {mode:04o}): "
                            f"chmod 600 it, and replace the secret if someone else may have read it")
    reason = problem(value)
    if reason is not None:
        raise SettingsError(f"{path} (the generated {variable}) {'is empty' if not value else reason}: restore it, "
                            f"set {variable}, or delete the file to generate a new one ({lost})")
    return value


def _private_sqlite_file(database_url: str) -> None:
    """Create the SQLite file mode 0600 before SQLite does (it would use 0644); its journal and WAL files take
    the database file's mode."""
    path = Path(urlsplit(database_url).path)
    if path.exists():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise SettingsError(f"YIJIAN_DATABASE_URL: the SQLite file {str(path)!r} cannot be created: "
                            f"{exc.strerror}") from None


# What live mode cannot run without, by WeChat Pay API: each name is a YIJIAN_* variable.
_LIVE_WXPAY = {
    "v3": ("YIJIAN_WXPAY_MCHID", "YIJIAN_WXPAY_MERCHANT_KEY_PATH", "YIJIAN_WXPAY_MERCHANT_SERIAL_NO",
           "YIJIAN_WXPAY_APIV3_KEY", "YIJIAN_WXPAY_PLATFORM_PUBLIC_KEY_PATH", "YIJIAN_WXPAY_PLATFORM_PUBLIC_KEY_ID"),
    "v2": ("YIJIAN_WXPAY_MCHID", "YIJIAN_WXPAY_APIV2_KEY"),
}


def _live_missing(environ: dict, wxpay_api: str, database_url: str | None, redis_url: str | None,
                  public_base_url: str | None) -> list[str]:
    """Everything live mode lacks, each as the variable to set: real money needs real keys, secrets that no
    file under the data dir holds, a database and a Redis shared by every process, and a public HTTPS address."""
    missing = [name for name in ("YIJIAN_WX_APPID", "YIJIAN_WX_SECRET", *_LIVE_WXPAY[wxpay_api])
               if not _env(environ, name)]
    for name in ("YIJIAN_WXPAY_MERCHANT_KEY_PATH", "YIJIAN_WXPAY_PLATFORM_PUBLIC_KEY_PATH"):
        path = _env(environ, name)
        if name in _LIVE_WXPAY[wxpay_api] and path and not os.access(path, os.R_OK):
            missing.append(f"{name} (no readable file at {path!r})")
    apiv3_key = _env(environ, "YIJIAN_WXPAY_APIV3_KEY")
    if wxpay_api == "v3" and apiv3_key and len(apiv3_key.encode()) != 32:
        missing.append("YIJIAN_WXPAY_APIV3_KEY (32 characters)")
    missing += [f"{name} (not a generated one)" for name in ("YIJIAN_JWT_SECRET", "YIJIAN_ENCRYPTION_KEY")
                if not _env(environ, name)]
    if not (database_url or "").startswith("postgres"):
        missing.append("YIJIAN_DATABASE_URL=postgres://...")
    if redis_url is None:
        missing.append("YIJIAN_REDIS_URL=redis://...")
    if not (public_base_url or "").startswith("https://"):
        missing.append("YIJIAN_PUBLIC_BASE_URL=https://... (where WeChat Pay sends notifications)")
    return missing


def _live_credentials(environ: dict) -> LiveCredentials:
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


def _rate_limits(environ: dict) -> dict[str, tuple[int, int]]:
    """YIJIAN_RATE_LIMITS: `name=count/seconds,...` over the defaults (only the names given change), or `off`."""
    raw = _env(environ, "YIJIAN_RATE_LIMITS")
    if raw is None:
        return dict(DEFAULT_RATE_LIMITS)
    if raw.lower() == "off":
        return {}
    limits = dict(DEFAULT_RATE_LIMITS)
    for part in raw.split(","):
        name, _, value = part.strip().partition("=")
        count, _, seconds = value.partition("/")
        if name not in DEFAULT_RATE_LIMITS or not count.isdigit() or not seconds.isdigit() \
                or int(count) < 1 or int(seconds) < 1:
            raise SettingsError(f"YIJIAN_RATE_LIMITS must be `off` or name=count/seconds pairs for "
                                f"{', '.join(DEFAULT_RATE_LIMITS)}, got {part.strip()!r}")
        limits[name] = (int(count), int(seconds))
    return limits


def load_settings(environ: dict | None = None) -> Settings:
    """Build the settings from the environment; raise SettingsError naming the first bad variable."""
    environ = dict(os.environ if environ is None else environ)
    data_dir = Path(_env(environ, "YIJIAN_DATA_DIR") or "var").expanduser().resolve()
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # secrets, keys and the SQLite file live here
    except OSError as exc:
        raise SettingsError(f"YIJIAN_DATA_DIR {str(data_dir)!r} cannot be created: {exc.strerror}") from None

    configured_database_url = _url(environ, "YIJIAN_DATABASE_URL", ("postgres", "sqlite"))
    redis_url = _url(environ, "YIJIAN_REDIS_URL", ("redis", "rediss", "unix"))
    public_base_url = _url(environ, "YIJIAN_PUBLIC_BASE_URL", ("http", "https"))
    wechat_mode = _choice(environ, "YIJIAN_WECHAT_MODE", ("sandbox", "live"), "sandbox")
    wechat_base_url = _url(environ, "YIJIAN_WECHAT_BASE_URL", ("http", "https"))
    wxpay_api = _choice(environ, "YIJIAN_WXPAY_API", ("v3", "v2"), "v3")
    if wechat_mode == "live":
        missing = _live_missing(environ, wxpay_api, configured_database_url, redis_url, public_base_url)
        if missing:
            raise SettingsError(f"YIJIAN_WECHAT_MODE=live needs {', '.join(missing)}")
        if wechat_base_url is None:
            wechat_base_url = "https://api.weixin.qq.com"
    database_url = configured_database_url or f"sqlite://{data_dir / 'yijian.sqlite3'}"
    if database_url.startswith("sqlite"):
        _private_sqlite_file(database_url)

    jwt_secret = _configured_secret(environ, "YIJIAN_JWT_SECRET", _jwt_secret_problem) or _secret_file(
        data_dir / "jwt_secret", "YIJIAN_JWT_SECRET", lambda: secrets.token_urlsafe(48), _jwt_secret_problem,
        "everyone is logged out")
    encryption_key = bytes.fromhex(_configured_secret(environ, "YIJIAN_ENCRYPTION_KEY", _encryption_key_problem)
                                   or _secret_file(data_dir / "encryption_key", "YIJIAN_ENCRYPTION_KEY",
                                                   lambda: secrets.token_hex(32), _encryption_key_problem,
                                                   "phone numbers and session keys stored with it are lost"))

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
        wxpay_api=wxpay_api,
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
        rate_limits=_rate_limits(environ),
        extra={"public_base_url_default": public_base_url is None},
    )
