"""HTTP routes of the catalog for operators (DESIGN.md §6): products, off-sale ones included."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.catalog import service
from app.catalog.schemas import ProductIn, ProductOut, ProductPage, ProductPatch
from app.core.http import ID, body, json, json_doc, page, page_params
from app.operators.guard import MANAGE, READ, operator_required

bp = Blueprint("catalog_admin", url_prefix="/admin/v1")


@bp.post("/products")
@openapi.summary("Create a product")
@openapi.response(201, json_doc(ProductOut))
@operator_required(*MANAGE)
@body(ProductIn)
async def create_product(request: Request, body: ProductIn):
    return json(await service.create_product(request.ctx.operator.id, body), status=201)


@bp.patch(f"/products/<product_id:{ID}>")
@openapi.summary("Change a product's price, stock, name, category or sale status")
@openapi.response(200, json_doc(ProductOut))
@operator_required(*MANAGE)
@body(ProductPatch)
async def update_product(request: Request, product_id: str, body: ProductPatch):
    return json(await service.update_product(request.ctx.operator.id, product_id, body))


@bp.get("/products")
@openapi.summary("Every product, off-sale included, newest first")
@openapi.parameter("limit", int, description="1..100, default 20")
@openapi.parameter("cursor", str, description="next_cursor of the previous page")
@openapi.response(200, json_doc(ProductPage))
@operator_required(*READ)
async def list_admin(request: Request):
    limit, before_id = page_params(request)
    return json(page(await service.list_admin(limit, before_id), limit, lambda product: product["id"]))
