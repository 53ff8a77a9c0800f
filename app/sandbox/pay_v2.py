"""WeChat Pay APIv2 (XML, MD5 or HMAC-SHA256 `sign`): unifiedorder, orderquery, closeorder, refund."""

from __future__ import annotations

import hmac
import time
from datetime import datetime
from collections.abc import Callable

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from . import service
from .crypto import nonce_str, v2_sign
from .faults import with_api_faults
from .formats import CHINA_TZ, TRADE_STATE_DESC, parse_v2_time, parse_xml, to_xml, v2_paid_fields
from .keys import SandboxKeys
from .ledger import LedgerError, Order
from .pay_v3 import OUT_REFUND_NO, OUT_TRADE_NO
from .state import SandboxState

SIGN_TYPES = ("MD5", "HMAC-SHA256")
NOT_SIGNED = ("sign", "nonce_str")  # differ between a request and its retry

_LEDGER_ERRORS = {
    "order_not_exist": ("ORDERNOTEXIST", "此交易订单号不存在"),
    "order_paid": ("ORDERPAID", "该订单已支付"),
    "order_closed": ("ORDERCLOSED", "该订单已关闭"),
    "duplicate_out_trade_no": ("OUT_TRADE_NO_USED", "商户订单号重复"),
    "duplicate_out_refund_no": ("INVALID_REQUEST", "商户退款单号重复"),
    "order_not_paid": ("TRADE_STATE_ERROR", "订单状态错误，不能退款"),
    "amount_mismatch": ("PARAM_ERROR", "订单金额total_fee与原订单不一致"),
    "not_enough": ("NOTENOUGH", "退款金额超过订单可退金额"),
    "refund_not_exist": ("REFUNDNOTEXIST", "退款订单查询失败"),
}


class V2Error(Exception):
    """A business failure: answered with return_code SUCCESS, result_code FAIL, err_code."""

    def __init__(self, err_code: str, err_code_des: str):
        super().__init__(err_code_des)
        self.err_code, self.err_code_des = err_code, err_code_des

    @classmethod
    def from_ledger(cls, exc: LedgerError) -> V2Error:
        return cls(*_LEDGER_ERRORS[exc.kind])


def xml_answer(fields: dict[str, str], status: int = 200) -> HTTPResponse:
    return HTTPResponse(to_xml(fields), status=status, content_type="text/xml; charset=utf-8")


def fail(return_msg: str, status: int = 200, **extra: str) -> HTTPResponse:
    return xml_answer({"return_code": "FAIL", "return_msg": return_msg, **extra}, status)


def system_busy() -> HTTPResponse:
    """The api_error fault's answer: HTTP 500, return_code FAIL."""
    return fail("SYSTEMERROR 系统繁忙，请稍后再试", 500)


def checked_request(keys: SandboxKeys, body: bytes) -> tuple[dict[str, str], str | None]:
    """The request's fields and, when WeChat would refuse it outright (return_code FAIL), why."""
    params = parse_xml(body)
    if params is None:
        return {}, "XML格式错误"
    sign_type = params.get("sign_type") or "MD5"
    if sign_type not in SIGN_TYPES:
        return params, "sign_type参数格式错误"
    if params.get("mch_id") != keys.mchid:
        return params, "mch_id参数格式错误"
    if not hmac.compare_digest(v2_sign(params, keys.apiv2_key, sign_type), params.get("sign", "")):
        return params, "签名错误"
    if not params.get("nonce_str"):
        return params, "缺少参数nonce_str"
    return params, None


def _required(params: dict[str, str], *keys: str) -> None:
    for key in keys:
        if not params.get(key):
            raise V2Error("PARAM_ERROR", f"缺少参数{key}")


def _fen(params: dict[str, str], key: str) -> int:
    value = params.get(key, "")
    if not value.isdigit() or int(value) <= 0:
        raise V2Error("PARAM_ERROR", f"{key}必须是正整数（分）")
    return int(value)


def _fingerprint(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in NOT_SIGNED}


def _find(state: SandboxState, params: dict[str, str]) -> Order:
    if not (params.get("transaction_id") or params.get("out_trade_no")):
        raise V2Error("PARAM_ERROR", "transaction_id和out_trade_no必须二选一")
    try:
        return state.ledger.find(params.get("out_trade_no"), params.get("transaction_id"))
    except LedgerError as exc:
        raise V2Error.from_ledger(exc) from None


def register(bp: Blueprint, state: SandboxState) -> None:
    keys = state.keys

    def route(path: str, api: str):
        def decorate(handler: Callable[[dict[str, str]], dict[str, str]]):
            async def endpoint(request: Request) -> HTTPResponse:
                async def answer() -> HTTPResponse:
                    params, problem = checked_request(keys, request.body)
                    if problem:
                        return fail(problem)
                    sign_type = params.get("sign_type") or "MD5"
                    try:
                        if params.get("appid") != keys.appid:
                            raise V2Error("APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
                        business = {"result_code": "SUCCESS", **handler(params)}
                    except V2Error as exc:
                        business = {"result_code": "FAIL", "err_code": exc.err_code, "err_code_des": exc.err_code_des}
                    fields = {
                        "return_code": "SUCCESS", "return_msg": "OK", "appid": keys.appid,
                        "mch_id": keys.mchid, "nonce_str": nonce_str(32), **business,
                    }
                    fields["sign"] = v2_sign(fields, keys.apiv2_key, sign_type)
                    return xml_answer(fields)

                return await with_api_faults(state.faults, api, system_busy, answer)

            endpoint.__name__ = f"v2_{api}"
            bp.add_route(endpoint, path, methods=["POST"], name=endpoint.__name__)
            return handler

        return decorate

    @route("/pay/unifiedorder", "unifiedorder")
    def unifiedorder(params: dict[str, str]) -> dict[str, str]:
        _required(params, "body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type")
        if params["trade_type"] != "JSAPI":
            raise V2Error("PARAM_ERROR", "沙箱只支持trade_type=JSAPI")
        _required(params, "openid")
        if not OUT_TRADE_NO.match(params["out_trade_no"]):
            raise V2Error("PARAM_ERROR", "out_trade_no须为6-32位数字、大小写字母、_-|*")
        if params.get("fee_type", "CNY") != "CNY":
            raise V2Error("PARAM_ERROR", "fee_type只支持CNY")
        total = _fen(params, "total_fee")
        expires_at = None
        if params.get("time_expire"):
            expires_at = parse_v2_time(params["time_expire"])
            if expires_at is None:
                raise V2Error("PARAM_ERROR", "time_expire格式错误，应为yyyyMMddHHmmss")
            if expires_at < time.time() + state.scaled(60):
                raise V2Error("PARAM_ERROR", "time_expire必须晚于当前时间至少1分钟")
        try:
            order = state.ledger.create_prepay(
                fingerprint=_fingerprint(params), expires_at=expires_at, api="v2",
                out_trade_no=params["out_trade_no"], appid=params["appid"], mchid=params["mch_id"],
                description=params["body"], total=total, currency="CNY", openid=params["openid"],
                notify_url=params["notify_url"], attach=params.get("attach", ""),
                sign_type=params.get("sign_type") or "MD5",
            )
        except LedgerError as exc:
            raise V2Error.from_ledger(exc) from None
        return {"trade_type": "JSAPI", "prepay_id": order.prepay_id}

    @route("/pay/orderquery", "orderquery")
    def orderquery(params: dict[str, str]) -> dict[str, str]:
        order = _find(state, params)
        fields = v2_paid_fields(order) if order.transaction_id else {
            "out_trade_no": order.out_trade_no, "total_fee": str(order.total), "fee_type": order.currency,
            "attach": order.attach,
        }
        return {**fields, "trade_state": order.trade_state, "trade_state_desc": TRADE_STATE_DESC[order.trade_state]}

    @route("/pay/closeorder", "closeorder")
    def closeorder(params: dict[str, str]) -> dict[str, str]:
        _required(params, "out_trade_no")
        order = _find(state, params)
        if order.trade_state == "CLOSED":  # unlike APIv3, APIv2 refuses to close twice
            raise V2Error("ORDERCLOSED", "订单已关闭")
        try:
            state.ledger.close(order)
        except LedgerError as exc:
            raise V2Error.from_ledger(exc) from None
        return {}

    @route("/pay/refundquery", "v2_refund_query")
    def refundquery(params: dict[str, str]) -> dict[str, str]:
        """查询退款 by out_refund_no only (the one way the BFF asks): that refund is index 0."""
        _required(params, "out_refund_no")
        try:
            record = state.ledger.find_refund(params["out_refund_no"])
        except LedgerError as exc:
            raise V2Error.from_ledger(exc) from None
        order = record.order
        fields = {
            "transaction_id": order.transaction_id or "", "out_trade_no": order.out_trade_no,
            "total_fee": str(order.total), "cash_fee": str(order.total), "refund_count": "1",
            "out_refund_no_0": record.out_refund_no, "refund_id_0": record.refund_id,
            "refund_fee_0": str(record.refund), "settlement_refund_fee_0": str(record.refund),
            "refund_status_0": record.status, "refund_channel_0": "ORIGINAL",
            "refund_recv_accout_0": "支付用户零钱",  # sic: WeChat's spelling
        }
        if record.success_time:
            fields["refund_success_time_0"] = datetime.fromtimestamp(record.success_time, CHINA_TZ).strftime(
                "%Y-%m-%d %H:%M:%S")
        return fields

    @route("/secapi/pay/refund", "v2_refund")
    def refund(params: dict[str, str]) -> dict[str, str]:
        _required(params, "out_refund_no", "total_fee", "refund_fee")
        if not OUT_REFUND_NO.match(params["out_refund_no"]):
            raise V2Error("PARAM_ERROR", "out_refund_no须为1-64位数字、大小写字母、_-|*@")
        total, refund_fee = _fen(params, "total_fee"), _fen(params, "refund_fee")
        order = _find(state, params)
        try:
            record = service.start_refund(
                state, order, out_refund_no=params["out_refund_no"], refund=refund_fee, total=total,
                reason=params.get("refund_desc", ""), notify_url=params.get("notify_url", ""), api="v2",
                fingerprint=_fingerprint(params),
            )
        except LedgerError as exc:
            raise V2Error.from_ledger(exc) from None
        return {
            "transaction_id": order.transaction_id or "", "out_trade_no": order.out_trade_no,
            "out_refund_no": record.out_refund_no, "refund_id": record.refund_id,
            "refund_fee": str(record.refund), "settlement_refund_fee": str(record.refund),
            "total_fee": str(order.total), "settlement_total_fee": str(order.total),
            "cash_fee": str(order.total), "cash_refund_fee": str(record.refund), "refund_channel": "",
        }
