"""HTTP routes of the catalog: operators' management under /admin/v1, the shop's listing under /api/v1."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.auth.guard import login_required
from app.catalog import service
from app.catalog.schemas import ProductIn, ProductOut, ProductPage, ProductPatch, PublicProductOut, PublicProductPage
from app.core.http import ID, body, json, json_doc, page, page_params
from app.operators.guard import MANAGE, READ, operator_required

admin_bp = Blueprint("catalog_admin", url_prefix="/admin/v1/products")
public_bp = Blueprint("catalog", url_prefix="/api/v1/products")


def _product_id(item: dict) -> str:
    return item["id"]


@admin_bp.post("")
@openapi.summary("Create a product")
@openapi.response(201, json_doc(ProductOut))
@operator_required(*MANAGE)
@body(ProductIn)
async def create_product(request: Request, body: ProductIn):
    return json(await service.create_product(request.ctx.operator.id, body), status=201)


@admin_bp.patch(f"/<product_id:{ID}>")
@openapi.summary("Change a product's price, stock, name, category or sale status")
@openapi.response(200, json_doc(ProductOut))
@operator_required(*MANAGE)
@body(ProductPatch)
async def update_product(request: Request, product_id: str, body: ProductPatch):
    return json(await service.update_product(request.ctx.operator.id, product_id, body))


@admin_bp.get("")
@openapi.summary("Every product, off-sale included, newest first")
@openapi.parameter("limit", int, description="1..100, default 20")
@openapi.parameter("cursor", str, description="next_cursor of the previous page")
@openapi.response(200, json_doc(ProductPage))
@operator_required(*READ)
async def list_admin(request: Request):
    limit, before_id = page_params(request)
    return json(page(await service.list_admin(limit, before_id), limit, _product_id))


@public_bp.get("")
@openapi.summary("Products on sale, newest first")
@openapi.parameter("category", str)
@openapi.parameter("limit", int, description="1..100, default 20")
@openapi.parameter("cursor", str, description="next_cursor of the previous page")
@openapi.response(200, json_doc(PublicProductPage))
@login_required
async def list_products(request: Request):
    limit, before_id = page_params(request)
    products = await service.list_on_sale(limit, before_id, request.args.get("category"))
    return json(page(products, limit, _product_id))


@public_bp.get(f"/<product_id:{ID}>")
@openapi.summary("One product on sale")
@openapi.response(200, json_doc(PublicProductOut))
@login_required
async def get_product(request: Request, product_id: str):
    return json(await service.get_on_sale(product_id))
