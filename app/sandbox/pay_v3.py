"""WeChat Pay APIv3 (JSON): requests checked and answers signed as WeChat does; jsapi, query, close, refunds."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import unquote  # Sanic leaves path parameters percent-encoded; WeChat decodes them

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from . import service
from .crypto import rsa_verify, wechatpay_headers
from .faults import with_api_faults
from .formats import dumps, json_object, parse_rfc3339, v3_refund, v3_transaction
from .ledger import LedgerError
from .state import SandboxState

URL_PREFIX = "/sandbox/wechat"
AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
TIMESTAMP_WINDOW_S = 300
OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_|*\-]{6,32}$")
OUT_REFUND_NO = re.compile(r"^[0-9A-Za-z_|*@\-]{1,64}$")
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')

_LEDGER_ERRORS = {
    "order_not_exist": (404, "ORDER_NOT_EXIST"),
    "order_paid": (403, "ORDERPAID"),
    "order_closed": (403, "ORDER_CLOSED"),
    "duplicate_out_trade_no": (400, "INVALID_REQUEST"),
    "duplicate_out_refund_no": (400, "INVALID_REQUEST"),
    "order_not_paid": (400, "INVALID_REQUEST"),
    "amount_mismatch": (400, "PARAM_ERROR"),
    "not_enough": (400, "NOT_ENOUGH"),
    "refund_not_exist": (404, "RESOURCE_NOT_EXISTS"),
}


class V3Error(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    @classmethod
    def from_ledger(cls, exc: LedgerError, overrides: dict | None = None) -> V3Error:
        status, code = (overrides or {}).get(exc.kind) or _LEDGER_ERRORS[exc.kind]
        return cls(status, code, exc.message)


def param_error(message: str) -> V3Error:
    return V3Error(400, "PARAM_ERROR", message)


def signed_answer(state: SandboxState, status: int, payload: dict | None) -> HTTPResponse:
    """Every APIv3 answer, errors included, is signed with the platform key."""
    body = "" if payload is None else dumps(payload)
    headers = wechatpay_headers(state.keys.platform_private_key, state.keys.platform_public_key_id, body)
    headers["Request-ID"] = secrets.token_hex(16).upper()
    if payload is None:
        return HTTPResponse(status=status, headers=headers)
    return HTTPResponse(body, status=status, headers=headers, content_type="application/json; charset=utf-8")


def signature_problem(state: SandboxState, request: Request) -> str | None:
    """Check `Authorization` like WeChat: scheme, mchid, serial_no, 5-minute timestamp, RSA signature.

    The signed URL is the path and query relative to the sandbox's base URL (what an SDK signs when
    its gateway is pointed at <origin>/sandbox/wechat); the full path is accepted as well.
    """
    scheme, _, params = request.headers.get("authorization", "").partition(" ")
    fields = dict(_AUTH_FIELD.findall(params))
    if scheme != AUTH_SCHEME or not all(k in fields for k in ("mchid", "nonce_str", "signature", "timestamp", "serial_no")):
        return "Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》"
    if fields["mchid"] != state.keys.mchid:
        return "Http头Authorization中的mchid与商户号不匹配"
    if fields["serial_no"].upper() != state.keys.merchant_serial_no:
        return "商户证书序列号有误，请使用签名私钥匹配的证书序列号"
    if not fields["timestamp"].isdigit() or abs(time.time() - int(fields["timestamp"])) > TIMESTAMP_WINDOW_S:
        return "请求时间戳已过期或不在5分钟之内"
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return "请求体不是UTF-8编码"
    url = request.raw_url.decode("utf-8", "replace")
    candidates = [url[len(URL_PREFIX):]] if url.startswith(URL_PREFIX + "/") else []
    candidates.append(url)
    for candidate in candidates:
        message = f"{request.method}\n{candidate}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
        if rsa_verify(state.keys.merchant_public_key, message, fields["signature"]):
            return None
    return "错误的签名，验签失败"


Handler = Callable[..., Awaitable[tuple[int, dict | None] | HTTPResponse]]


def _json_object(request: Request) -> dict:
    body = json_object(request.body)
    if body is None:
        raise param_error("请求体必须是JSON对象")
    return body


def _string(container: dict, key: str, where: str = "", *, required: bool = True, max_len: int = 256) -> str:
    value = container.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise param_error(f"缺少参数或类型错误: {where}{key}")
    if len(value) > max_len:
        raise param_error(f"参数过长: {where}{key}")
    return value


def _fen(container: dict, key: str, where: str) -> int:
    value = container.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise param_error(f"{where}{key} 必须是正整数（分）")
    return value


def _notify_url(value: str, key: str) -> str:
    if value and not re.match(r"^https?://[^\s?#]+(?:\?[^\s#]*)?$", value):
        raise param_error(f"{key} 不是合法的URL")
    return value


def _amount(body: dict, *keys: str) -> tuple[dict, str]:
    amount = body.get("amount")
    if not isinstance(amount, dict):
        raise param_error("缺少参数 amount")
    values = {key: _fen(amount, key, "amount.") for key in keys}
    currency = amount.get("currency", "CNY")
    if currency != "CNY":
        raise param_error("amount.currency 只支持 CNY")
    return values, currency


def _mchid_matches(state: SandboxState, mchid) -> None:
    if not mchid:
        raise param_error("缺少参数 mchid")
    if mchid != state.keys.mchid:
        raise V3Error(400, "PARAM_ERROR", "mchid 与请求方商户号不一致")


def v3_route(bp: Blueprint, state: SandboxState):
    """`@route(method, path, api)`: the signature checked first, then api faults, then the handler.

    A handler answers `(status, payload)`, signed here, or a ready HTTPResponse (a bill file: WeChat
    does not sign downloads); a V3Error becomes its signed `{"code", "message"}`.
    """

    def route(method: str, path: str, api: str, name: str | None = None):
        def decorate(handler: Handler) -> Handler:
            async def endpoint(request: Request, **params) -> HTTPResponse:
                problem = signature_problem(state, request)
                if problem:
                    return signed_answer(state, 401, {"code": "SIGN_ERROR", "message": problem})

                def system_error() -> HTTPResponse:
                    return signed_answer(state, 500, {"code": "SYSTEM_ERROR", "message": "系统错误"})

                async def answer() -> HTTPResponse:
                    try:
                        body = _json_object(request) if method == "POST" else None
                        result = await handler(request, body, **params)
                    except V3Error as exc:
                        return signed_answer(state, exc.status, {"code": exc.code, "message": exc.message})
                    return result if isinstance(result, HTTPResponse) else signed_answer(state, *result)

                return await with_api_faults(state.faults, api, system_error, answer)

            endpoint.__name__ = f"v3_{name or api}"
            bp.add_route(endpoint, path, methods=[method], name=endpoint.__name__)
            return handler

        return decorate

    return route


def register(bp: Blueprint, state: SandboxState) -> None:
    route = v3_route(bp, state)

    @route("POST", "/v3/pay/transactions/jsapi", "jsapi")
    async def jsapi(request: Request, body: dict):
        appid, mchid = _string(body, "appid"), _string(body, "mchid")
        description = _string(body, "description", max_len=127)
        out_trade_no = _string(body, "out_trade_no")
        if not OUT_TRADE_NO.match(out_trade_no):
            raise param_error("out_trade_no 须为6-32位数字、大小写字母、_-|*")
        notify_url = _notify_url(_string(body, "notify_url", max_len=255), "notify_url")
        (values, currency) = _amount(body, "total")
        payer = body.get("payer")
        if not isinstance(payer, dict):
            raise param_error("缺少参数 payer")
        openid = _string(payer, "openid", "payer.", max_len=128)
        attach = _string(body, "attach", required=False, max_len=128)
        expires_at = None
        if body.get("time_expire") is not None:
            expires_at = parse_rfc3339(body["time_expire"])
            if expires_at is None:
                raise param_error("time_expire 不是合法的RFC3339时间")
            if expires_at < time.time() + state.scaled(60):
                raise param_error("time_expire 必须晚于当前时间至少1分钟")
        if appid != state.keys.appid or mchid != state.keys.mchid:
            raise V3Error(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        try:
            order = state.ledger.create_prepay(
                fingerprint=body, expires_at=expires_at, api="v3", out_trade_no=out_trade_no, appid=appid,
                mchid=mchid, description=description, total=values["total"], currency=currency,
                openid=openid, notify_url=notify_url, attach=attach,
            )
        except LedgerError as exc:
            raise V3Error.from_ledger(exc) from None
        return 200, {"prepay_id": order.prepay_id}

    async def _query(request: Request, **lookup) -> tuple[int, dict]:
        _mchid_matches(state, request.args.get("mchid"))
        try:
            return 200, v3_transaction(state.ledger.find(**lookup))
        except LedgerError as exc:
            raise V3Error.from_ledger(exc) from None

    @route("GET", "/v3/pay/transactions/out-trade-no/<out_trade_no>", "query")
    async def query(request: Request, body: None, out_trade_no: str):
        return await _query(request, out_trade_no=unquote(out_trade_no))

    @route("GET", "/v3/pay/transactions/id/<transaction_id>", "query", "query_by_id")
    async def query_by_id(request: Request, body: None, transaction_id: str):
        return await _query(request, transaction_id=unquote(transaction_id))

    @route("POST", "/v3/pay/transactions/out-trade-no/<out_trade_no>/close", "close")
    async def close(request: Request, body: dict, out_trade_no: str):
        _mchid_matches(state, body.get("mchid"))
        try:
            state.ledger.close(state.ledger.find(out_trade_no=unquote(out_trade_no)))
        except LedgerError as exc:
            raise V3Error.from_ledger(exc, {"order_paid": (400, "ORDERPAID")}) from None
        return 204, None

    @route("POST", "/v3/refund/domestic/refunds", "refund")
    async def refund(request: Request, body: dict):
        out_refund_no = _string(body, "out_refund_no", max_len=64)
        if not OUT_REFUND_NO.match(out_refund_no):
            raise param_error("out_refund_no 须为1-64位数字、大小写字母、_-|*@")
        transaction_id = _string(body, "transaction_id", required=False, max_len=32)
        out_trade_no = _string(body, "out_trade_no", required=False, max_len=32)
        if not (transaction_id or out_trade_no):
            raise param_error("transaction_id 和 out_trade_no 必须二选一")
        values, _ = _amount(body, "refund", "total")
        reason = _string(body, "reason", required=False, max_len=80)
        notify_url = _notify_url(_string(body, "notify_url", required=False, max_len=256), "notify_url")
        try:
            order = state.ledger.find(out_trade_no=out_trade_no, transaction_id=transaction_id)
            record = service.start_refund(
                state, order, out_refund_no=out_refund_no, refund=values["refund"], total=values["total"],
                reason=reason, notify_url=notify_url, api="v3", fingerprint=body,
            )
        except LedgerError as exc:
            raise V3Error.from_ledger(exc, {"order_not_exist": (404, "RESOURCE_NOT_EXISTS")}) from None
        return 200, v3_refund(record)

    @route("GET", "/v3/refund/domestic/refunds/<out_refund_no>", "refund_query")
    async def refund_query(request: Request, body: None, out_refund_no: str):
        try:
            return 200, v3_refund(state.ledger.find_refund(unquote(out_refund_no)))
        except LedgerError as exc:
            raise V3Error.from_ledger(exc) from None
