"""The sandbox's credentials: generated once per installation, kept in data_dir/sandbox/keys.json."""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import string
from dataclasses import dataclass
from functools import cached_property

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEYS_FILE = pathlib.Path("sandbox") / "keys.json"


@dataclass(frozen=True)
class SandboxKeys:
    appid: str
    appsecret: str
    mchid: str
    merchant_serial_no: str
    merchant_private_key_pem: str
    merchant_public_key_pem: str
    platform_public_key_id: str
    platform_private_key_pem: str
    platform_public_key_pem: str
    apiv3_key: str
    apiv2_key: str
    openid_secret: str  # HMAC key that turns a login label into a stable openid

    @cached_property
    def merchant_public_key(self) -> rsa.RSAPublicKey:
        return serialization.load_pem_public_key(self.merchant_public_key_pem.encode())

    @cached_property
    def platform_private_key(self) -> rsa.RSAPrivateKey:
        return serialization.load_pem_private_key(self.platform_private_key_pem.encode(), None)

    def public_view(self) -> dict:
        """What GET /control/keys answers (DESIGN §5), plus the mini-program's appsecret."""
        return {
            "appid": self.appid,
            "mchid": self.mchid,
            "merchant": {
                "serial_no": self.merchant_serial_no,
                "private_key_pem": self.merchant_private_key_pem,
                "public_key_pem": self.merchant_public_key_pem,
            },
            "platform": {
                "public_key_id": self.platform_public_key_id,
                "private_key_pem": self.platform_private_key_pem,
                "public_key_pem": self.platform_public_key_pem,
            },
            "apiv3_key": self.apiv3_key,
            "apiv2_key": self.apiv2_key,
            "appsecret": self.appsecret,
        }

    def to_file_dict(self) -> dict:
        return {**self.public_view(), "openid_secret": self.openid_secret}

    @classmethod
    def from_file_dict(cls, data: dict) -> SandboxKeys:
        return cls(
            appid=data["appid"],
            appsecret=data["appsecret"],
            mchid=data["mchid"],
            merchant_serial_no=data["merchant"]["serial_no"],
            merchant_private_key_pem=data["merchant"]["private_key_pem"],
            merchant_public_key_pem=data["merchant"]["public_key_pem"],
            platform_public_key_id=data["platform"]["public_key_id"],
            platform_private_key_pem=data["platform"]["private_key_pem"],
            platform_public_key_pem=data["platform"]["public_key_pem"],
            apiv3_key=data["apiv3_key"],
            apiv2_key=data["apiv2_key"],
            openid_secret=data["openid_secret"],
        )


def _rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,  # the format of WeChat's apiclient_key.pem
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


def _random_chars(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def generate_keys() -> SandboxKeys:
    merchant_private, merchant_public = _rsa_pair()
    platform_private, platform_public = _rsa_pair()
    alnum = string.ascii_letters + string.digits
    mchid = str(secrets.choice("123456789")) + _random_chars(string.digits, 9)
    return SandboxKeys(
        appid="wx" + secrets.token_hex(8),
        appsecret=secrets.token_hex(16),
        mchid=mchid,
        merchant_serial_no=secrets.token_hex(20).upper(),
        merchant_private_key_pem=merchant_private,
        merchant_public_key_pem=merchant_public,
        platform_public_key_id="PUB_KEY_ID_01" + mchid + _random_chars(string.digits, 14),
        platform_private_key_pem=platform_private,
        platform_public_key_pem=platform_public,
        apiv3_key=_random_chars(alnum, 32),
        apiv2_key=_random_chars(alnum, 32),
        openid_secret=secrets.token_hex(32),
    )


def load_or_create_keys(data_dir: pathlib.Path) -> SandboxKeys:
    """Read the installation's keys, creating them on first use.

    Several workers may start at once: the file is written under a temporary
    name and hard-linked into place, which fails if another process won, so
    every process ends up with the same keys.
    """
    path = pathlib.Path(data_dir) / KEYS_FILE
    if path.exists():
        return SandboxKeys.from_file_dict(json.loads(path.read_text("utf-8")))
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = generate_keys()
    tmp = path.with_name(f".keys.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(keys.to_file_dict(), f, indent=2)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return SandboxKeys.from_file_dict(json.loads(path.read_text("utf-8")))
    finally:
        tmp.unlink(missing_ok=True)
    return keys
