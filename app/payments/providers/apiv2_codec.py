"""WeChat Pay APIv2 messages: flat XML both ways (entities refused), the MD5 / HMAC-SHA256 `sign`, refund `req_info`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac, dict_to_xml

SIGN_TYPES = ("MD5", "HMAC-SHA256")
MAX_XML_BYTES = 64 * 1024


class DecryptError(Exception):
    """`req_info` did not decrypt with our APIv2 key."""


def sign(fields: dict[str, str], apiv2_key: str, sign_type: str) -> str:
    """签名算法: the non-empty fields but `sign`, sorted, `k=v&...&key=KEY`, MD5 or HMAC-SHA256, uppercase hex."""
    unsigned = {k: v for k, v in fields.items() if k != "sign"}
    if sign_type == "HMAC-SHA256":
        return calculate_signature_hmac(unsigned, apiv2_key)
    if sign_type == "MD5":
        return calculate_signature(unsigned, apiv2_key)
    raise ValueError(f"unknown sign_type {sign_type!r}")


def sign_matches(fields: dict[str, str], apiv2_key: str, sign_type: str) -> bool:
    if sign_type not in SIGN_TYPES or not fields.get("sign"):
        return False
    return hmac.compare_digest(sign(fields, apiv2_key, sign_type), fields["sign"])


def to_xml(fields: dict[str, str], apiv2_key: str, sign_type: str) -> str:
    """The signed request document; CDATA cannot hold `]]>`, so such a value is refused rather than mangled."""
    if any("]]>" in str(value) for value in fields.values()):
        raise ValueError("a field contains ']]>'")
    return dict_to_xml(fields, sign(fields, apiv2_key, sign_type))


def parse_xml(raw: bytes | str) -> dict[str, str] | None:
    """A flat `<xml>` (or `<root>`) document as a dict, None when it is not one.

    A DOCTYPE or ENTITY is refused before parsing: expat expands internal entities, and WeChat never
    sends a DTD (the XXE / billion-laughs advice of WeChat Pay's security notice).
    """
    if len(raw) > MAX_XML_BYTES:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        return None
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    if root.tag not in ("xml", "root") or any(len(child) for child in root):
        return None
    return {child.tag: (child.text or "") for child in root}


def decrypt_req_info(req_info: str, apiv2_key: str) -> bytes:
    """退款结果通知 `req_info`: base64, AES-256-ECB with key = md5(APIv2 key) lowercase hex, PKCS7."""
    key = hashlib.md5(apiv2_key.encode("utf-8")).hexdigest().lower().encode("ascii")  # noqa: S324 - WeChat's rule
    try:
        sealed = base64.b64decode(req_info, validate=True)
        decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305 - WeChat's rule
        padded = decryptor.update(sealed) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except (ValueError, binascii.Error) as exc:
        raise DecryptError(type(exc).__name__) from None
