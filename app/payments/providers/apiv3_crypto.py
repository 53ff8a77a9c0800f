"""WeChat Pay APIv3 signatures and encryption on the merchant's side: request signing, answer and notification checks, AEAD, paySign."""

from __future__ import annotations

import base64
import binascii
import functools
import secrets
import time
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "WECHATPAY2-SHA256-RSA2048"
SIGNATURE_HEADERS = ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial")


class DecryptError(Exception):
    """The AEAD tag did not match, or the ciphertext was not base64."""


@functools.lru_cache(maxsize=8)
def private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the merchant key is not an RSA key")
    return key


@functools.lru_cache(maxsize=8)
def public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the platform key is not an RSA key")
    return key


def nonce_str() -> str:
    return secrets.token_hex(16)  # 32 characters of [0-9a-f]: WeChat allows up to 32 alphanumerics


def rsa_sign(private_key_pem: str, message: str) -> str:
    """SHA256 with RSA (PKCS#1 v1.5), base64: the one signature of APIv3."""
    signature = private_key(private_key_pem).sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(public_key_pem: str, message: bytes, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key(public_key_pem).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, binascii.Error, InvalidSignature):
        return False
    return True


def authorization(*, mchid: str, serial_no: str, private_key_pem: str, method: str, url: str, body: str,
                  timestamp: int | None = None, nonce: str | None = None) -> str:
    """The `Authorization` header: signed over `METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n` (APIv3 签名生成).

    `url` is the path and query as sent, relative to the API base (`/v3/pay/...`).
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or nonce_str()
    signature = rsa_sign(private_key_pem, f"{method}\n{url}\n{ts}\n{nonce}\n{body}\n")
    return (f'{SCHEME} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{ts}",serial_no="{serial_no}"')


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def signature_problem(headers: Mapping[str, str], body: bytes, *, platform_public_key_pem: str,
                      platform_public_key_id: str) -> str | None:
    """Why a WeChat-signed message (answer or notification) is not to be trusted, or None.

    Checked on the raw body bytes (签名验证: `timestamp\\nnonce\\nbody\\n`), signature first — nothing of
    an unverified message is believed, the serial included — then the serial against our platform key id.
    Returns "signature" or "serial".
    """
    h = lower_keys(headers)
    if not all(h.get(name) for name in SIGNATURE_HEADERS[:3]):
        return "signature"
    message = h["wechatpay-timestamp"].encode() + b"\n" + h["wechatpay-nonce"].encode() + b"\n" + body + b"\n"
    if not rsa_verify(platform_public_key_pem, message, h["wechatpay-signature"]):
        return "signature"
    if h.get("wechatpay-serial", "") != platform_public_key_id:
        return "serial"
    return None


def aead_decrypt(apiv3_key: str, nonce: str, ciphertext_b64: str, associated_data: str) -> bytes:
    """AEAD_AES_256_GCM of a notification's `resource`: the APIv3 key and the nonce are used as their bytes (回调报文解密)."""
    try:
        sealed = base64.b64decode(ciphertext_b64, validate=True)
        return AESGCM(apiv3_key.encode("utf-8")).decrypt(nonce.encode("utf-8"), sealed, associated_data.encode("utf-8"))
    except (ValueError, binascii.Error, InvalidTag) as exc:
        raise DecryptError(type(exc).__name__) from None


def pay_sign(private_key_pem: str, *, appid: str, timestamp: str, nonce: str, package: str) -> str:
    """paySign of wx.requestPayment (JSAPI调起支付): RSA over `appId\\ntimeStamp\\nnonceStr\\npackage\\n`."""
    return rsa_sign(private_key_pem, f"{appid}\n{timestamp}\n{nonce}\n{package}\n")
