"""The trade bill over WeChat Pay's APIs: APIv3 tradebill and its download, APIv2 downloadbill."""

from __future__ import annotations

import gzip
import hashlib
import re
import time
from datetime import date, datetime

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from . import bills
from .faults import with_api_faults
from .pay_v2 import checked_request, fail, system_busy
from .pay_v3 import URL_PREFIX, V3Error, param_error, v3_route
from .state import SandboxState

_V3_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_V2_DATE = re.compile(r"^\d{8}$")
V3_UNAVAILABLE = {
    "out_of_range": (400, "INVALID_REQUEST", "bill_date超出可下载范围（仅三个月内、不晚于今天），请检查bill_date"),
    "creating": (400, "STATEMENT_CREATING", "账单生成中"),
    "empty": (400, "NO_STATEMENT_EXIST", "请求的账单文件不存在"),
}
# APIv2 answers return_code FAIL with these return_msg (and error_code where WeChat sends one).
V2_UNAVAILABLE = {
    "out_of_range": {"return_msg": "data format error"},
    "creating": {"return_msg": "Bill Creating"},
    "empty": {"return_msg": "No Bill Exist", "error_code": "20002"},
}


def _parse_day(text: str, pattern: re.Pattern, fmt: str) -> date | None:
    if not pattern.match(text or ""):
        return None
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def _bill_or_reason(state: SandboxState, day: date, bill_type: str) -> bytes | str:
    """The bill's bytes, or why there is none: out_of_range, creating or empty."""
    reason = bills.availability(day, time.time(), state.time_factor)
    if reason != "available":
        return reason
    return bills.trade_bill(state.ledger, day, bill_type) or "empty"


def _file_answer(content: bytes, compressed: bool) -> HTTPResponse:
    body = gzip.compress(content, mtime=0) if compressed else content
    return HTTPResponse(body, status=200, content_type="application/octet-stream")


def register(bp: Blueprint, state: SandboxState) -> None:
    route = v3_route(bp, state)

    @route("GET", "/v3/bill/tradebill", "tradebill")
    async def tradebill(request: Request, body: None):
        day = _parse_day(request.args.get("bill_date", ""), _V3_DATE, "%Y-%m-%d")
        if day is None:
            raise param_error("bill_date 格式应为 yyyy-MM-dd")
        bill_type = request.args.get("bill_type") or "ALL"
        if bill_type not in bills.BILL_TYPES:
            raise param_error("bill_type 只支持 ALL、SUCCESS、REFUND")
        tar_type = request.args.get("tar_type")
        if tar_type not in (None, "GZIP"):
            raise param_error("tar_type 只支持 GZIP")
        found = _bill_or_reason(state, day, bill_type)
        if isinstance(found, str):
            raise V3Error(*V3_UNAVAILABLE[found])
        hash_value = hashlib.sha1(found).hexdigest()
        if state.faults.pick("bill_bad_hash", "tradebill"):
            hash_value = hashlib.sha1(found + b"\n").hexdigest()  # a test of the merchant's hash check
        token = state.bill_downloads.issue(found, gzip=tar_type == "GZIP")
        base = f"{request.scheme}://{request.host}{URL_PREFIX}"
        download_url = f"{base}/v3/billdownload/file?token={token}" + ("&tartype=gzip" if tar_type else "")
        return 200, {"hash_type": "SHA1", "hash_value": hash_value, "download_url": download_url}

    @route("GET", "/v3/billdownload/file", "billdownload")
    async def billdownload(request: Request, body: None):
        file = state.bill_downloads.get(request.args.get("token", ""))
        if file is None:
            raise V3Error(400, "INVALID_REQUEST", "下载链接已过期或无效，请重新申请账单后再下载")
        return _file_answer(file.content, file.gzip)

    @bp.post("/pay/downloadbill", name="v2_downloadbill")
    async def downloadbill(request: Request) -> HTTPResponse:
        async def answer() -> HTTPResponse:
            params, problem = checked_request(state.keys, request.body)
            if problem:
                return fail(problem)
            if not params.get("bill_date"):
                return fail("missing parameter")
            day = _parse_day(params["bill_date"], _V2_DATE, "%Y%m%d")
            tar_type = params.get("tar_type") or None
            if day is None or tar_type not in (None, "GZIP"):
                return fail("data format error")
            bill_type = params.get("bill_type") or "ALL"
            if bill_type not in bills.BILL_TYPES:
                return fail("invalid bill_type")
            found = _bill_or_reason(state, day, bill_type)
            if isinstance(found, str):
                return fail(**V2_UNAVAILABLE[found])
            return _file_answer(found, tar_type == "GZIP")

        return await with_api_faults(state.faults, "downloadbill", system_busy, answer)
