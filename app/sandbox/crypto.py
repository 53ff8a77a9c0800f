"""WeChat's signature and encryption primitives, as the sandbox (the WeChat side) applies them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_ALNUM = string.ascii_letters + string.digits


def nonce_str(length: int = 32) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def rsa_sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    """SHA256-RSA2048 (PKCS#1 v1.5), base64: WeChat Pay APIv3's signature."""
    signature = private_key.sign(message.encode("utf-8"), asym_padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(public_key: rsa.RSAPublicKey, message: str, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key.verify(signature, message.encode("utf-8"), asym_padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, InvalidSignature):
        return False
    return True


def aead_encrypt(apiv3_key: str, nonce: str, plaintext: str, associated_data: str) -> str:
    """AEAD_AES_256_GCM as in APIv3 notifications: the key and nonce are used as their ASCII bytes."""
    sealed = AESGCM(apiv3_key.encode("ascii")).encrypt(
        nonce.encode("ascii"), plaintext.encode("utf-8"), associated_data.encode("utf-8")
    )
    return base64.b64encode(sealed).decode("ascii")


def v2_sign(params: dict[str, str], apiv2_key: str, sign_type: str = "MD5") -> str:
    """APIv2 sign: non-empty params except `sign`, sorted, `k=v&...&key=KEY`, uppercase hex."""
    pairs = [f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] not in ("", None)]
    pairs.append(f"key={apiv2_key}")
    text = "&".join(pairs).encode("utf-8")
    if sign_type == "HMAC-SHA256":
        return hmac.new(apiv2_key.encode("utf-8"), text, hashlib.sha256).hexdigest().upper()
    return hashlib.md5(text).hexdigest().upper()


def v2_refund_req_info(plaintext: str, apiv2_key: str) -> str:
    """`req_info` of an APIv2 refund notification: AES-256-ECB, key md5(apiv2_key) hex, PKCS7, base64."""
    key = hashlib.md5(apiv2_key.encode("utf-8")).hexdigest().lower().encode("ascii")
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - WeChat's rule
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode("ascii")


def wechatpay_headers(platform_private_key: rsa.RSAPrivateKey, public_key_id: str, body: str) -> dict[str, str]:
    """The headers that sign an APIv3 answer or notification: over `timestamp\\nnonce\\nbody\\n`."""
    timestamp = str(int(time.time()))
    nonce = nonce_str(32)
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": rsa_sign(platform_private_key, f"{timestamp}\n{nonce}\n{body}\n"),
        "Wechatpay-Serial": public_key_id,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }
