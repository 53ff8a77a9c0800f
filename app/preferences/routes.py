"""HTTP routes of preferences, addresses, invoice title and phone (DESIGN.md §3)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.auth.guard import login_required
from app.core.http import ID, body, json, json_doc, no_content, page, page_params
from app.preferences import service
from app.preferences.schemas import (
    AddressIn,
    AddressOut,
    AddressPage,
    InvoiceIn,
    InvoiceOut,
    PhoneBody,
    PhoneOut,
    PreferencesOut,
    PreferencesPatch,
)

bp = Blueprint("preferences", url_prefix="/api/v1")

# The token is checked before the body is parsed (no token → 401, whatever the body). Because
# @login_required wraps the handler that @body documented, each body is documented again above it.


# Preferences

@bp.get("/me/preferences")
@openapi.summary("Your checkout preferences")
@openapi.response(200, json_doc(PreferencesOut))
@login_required
async def get_preferences(request: Request):
    return json(await service.get_preferences(request.ctx.user_id))


@bp.patch("/me/preferences")
@openapi.summary("Change any subset of your preferences")
@openapi.response(200, json_doc(PreferencesOut))
@login_required
@body(PreferencesPatch)
async def patch_preferences(request: Request, body: PreferencesPatch):
    return json(await service.update_preferences(request.ctx.user_id, body))


# Addresses

@bp.get("/me/addresses")
@openapi.summary("Your saved addresses, newest first")
@openapi.parameter("limit", int, description="1..100, default 20")
@openapi.parameter("cursor", str, description="next_cursor of the previous page")
@openapi.response(200, json_doc(AddressPage))
@login_required
async def list_addresses(request: Request):
    limit, before_id = page_params(request)
    addresses = await service.list_addresses(request.ctx.user_id, limit, before_id)
    return json(page(addresses, limit, lambda address: address["id"]))


@bp.post("/me/addresses")
@openapi.summary("Save an address (wx.chooseAddress's object or snake_case)")
@openapi.response(201, json_doc(AddressOut))
@login_required
@body(AddressIn)
async def create_address(request: Request, body: AddressIn):
    return json(await service.create_address(request.ctx.user_id, body), status=201)


@bp.get(f"/me/addresses/<address_id:{ID}>")
@openapi.summary("One of your addresses")
@openapi.response(200, json_doc(AddressOut))
@login_required
async def get_address(request: Request, address_id: str):
    return json(await service.get_address(request.ctx.user_id, address_id))


@bp.put(f"/me/addresses/<address_id:{ID}>")
@openapi.summary("Replace one of your addresses")
@openapi.response(200, json_doc(AddressOut))
@login_required
@body(AddressIn)
async def replace_address(request: Request, address_id: str, body: AddressIn):
    return json(await service.replace_address(request.ctx.user_id, address_id, body))


@bp.delete(f"/me/addresses/<address_id:{ID}>")
@openapi.summary("Delete one of your addresses")
@openapi.response(204, None)
@login_required
async def delete_address(request: Request, address_id: str):
    await service.delete_address(request.ctx.user_id, address_id)
    return no_content()


# Invoice title

@bp.get("/me/invoice")
@openapi.summary("Your invoice title (404 when you have none)")
@openapi.response(200, json_doc(InvoiceOut))
@login_required
async def get_invoice(request: Request):
    return json(await service.get_invoice(request.ctx.user_id))


@bp.put("/me/invoice")
@openapi.summary("Save your invoice title (wx.chooseInvoiceTitle's object or snake_case)")
@openapi.response(200, json_doc(InvoiceOut))
@login_required
@body(InvoiceIn)
async def put_invoice(request: Request, body: InvoiceIn):
    return json(await service.put_invoice(request.ctx.user_id, body))


@bp.delete("/me/invoice")
@openapi.summary("Remove your invoice title")
@openapi.response(204, None)
@login_required
async def delete_invoice(request: Request):
    await service.delete_invoice(request.ctx.user_id)
    return no_content()


# Phone

@bp.post("/me/phone")
@openapi.summary("Bind your phone number with a getPhoneNumber code")
@openapi.response(200, json_doc(PhoneOut))
@login_required
@body(PhoneBody)
async def bind_phone(request: Request, body: PhoneBody):
    return json(await service.bind_phone(request.app.ctx.deps, request.ctx.user_id, body.code))

