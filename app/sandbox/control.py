"""The control API (/control/...): keys, faults, the user's payment, the notification log."""

from __future__ import annotations

import json

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from . import service
from .faults import FaultInputError
from .formats import json_object
from .ledger import LedgerError
from .state import SandboxState

PAY_RESULTS = ("SUCCESS", "PAYERROR", "CANCEL", "USERPAYING")
# A refused payment: (status, code) by the ledger's reason.
_PAY_REFUSALS = {
    "prepay_not_exist": (404, "PREPAY_NOT_EXIST"),
    "order_paid": (409, "ORDERPAID"),
    "order_closed": (409, "ORDER_CLOSED"),
    "order_expired": (409, "ORDER_EXPIRED"),
}


def _json(body, status: int = 200) -> HTTPResponse:
    return HTTPResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8"
    )


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return _json({"code": code, "message": message}, status)


def _param_error(message: str) -> HTTPResponse:
    return _error(400, "PARAM_ERROR", message)


def register(bp: Blueprint, state: SandboxState) -> None:
    @bp.get("/control/keys", name="control_keys")
    async def keys(request: Request) -> HTTPResponse:
        return _json(state.keys.public_view())

    @bp.post("/control/faults", name="control_add_fault")
    async def add_fault(request: Request) -> HTTPResponse:
        body = json_object(request.body)
        if body is None:
            return _param_error("body must be a JSON object")
        try:
            fault = state.faults.add(body)
        except FaultInputError as exc:
            return _param_error(str(exc))
        return _json(fault.to_dict(), 201)

    @bp.get("/control/faults", name="control_list_faults")
    async def list_faults(request: Request) -> HTTPResponse:
        return _json({"items": state.faults.list(), "next_cursor": None})

    @bp.delete("/control/faults", name="control_clear_faults")
    async def clear_faults(request: Request) -> HTTPResponse:
        state.faults.clear()
        return HTTPResponse(status=204)

    @bp.delete("/control/faults/<fault_id>", name="control_remove_fault")
    async def remove_fault(request: Request, fault_id: str) -> HTTPResponse:
        if not state.faults.remove(fault_id):
            return _error(404, "NOT_FOUND", f"no fault {fault_id}")
        return HTTPResponse(status=204)

    @bp.post("/control/pay", name="control_pay")
    async def pay(request: Request) -> HTTPResponse:
        body = json_object(request.body)
        if body is None:
            return _param_error("body must be a JSON object")
        prepay_id, result, force = body.get("prepay_id"), body.get("result"), body.get("force", False)
        if not isinstance(prepay_id, str) or not prepay_id:
            return _param_error("prepay_id is required")
        if result not in PAY_RESULTS:
            return _param_error(f"result must be one of {', '.join(PAY_RESULTS)}")
        if not isinstance(force, bool):
            return _param_error("force must be a boolean")
        try:
            order = service.pay(state, prepay_id, result, force)
        except LedgerError as exc:
            status, code = _PAY_REFUSALS[exc.kind]
            return _error(status, code, exc.message)
        return _json({
            "out_trade_no": order.out_trade_no,
            "transaction_id": order.transaction_id,
            "trade_state": order.trade_state,
        })

    @bp.get("/control/notifications", name="control_notifications")
    async def notifications(request: Request) -> HTTPResponse:
        return _json({"items": state.notifier.list(request.args.get("out_trade_no")), "next_cursor": None})

    @bp.post("/control/notifications/<attempt_id>/resend", name="control_resend")
    async def resend(request: Request, attempt_id: str) -> HTTPResponse:
        record = await state.notifier.resend(attempt_id)
        if record is None:
            return _error(404, "NOT_FOUND", f"no notification attempt {attempt_id}")
        return _json(record)
