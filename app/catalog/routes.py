"""HTTP routes of the shop's catalog (DESIGN.md §3): products on sale."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic_ext import openapi

from app.auth.guard import login_required
from app.catalog import service
from app.catalog.schemas import PublicProductOut, PublicProductPage
from app.core.http import ID, json, json_doc, page, page_params

bp = Blueprint("catalog", url_prefix="/api/v1/products")


@bp.get("")
@openapi.summary("Products on sale, newest first")
@openapi.parameter("category", str)
@openapi.parameter("limit", int, description="1..100, default 20")
@openapi.parameter("cursor", str, description="next_cursor of the previous page")
@openapi.response(200, json_doc(PublicProductPage))
@login_required
async def list_products(request: Request):
    limit, before_id = page_params(request)
    products = await service.list_on_sale(limit, before_id, request.args.get("category"))
    return json(page(products, limit, lambda product: product["id"]))


@bp.get(f"/<product_id:{ID}>")
@openapi.summary("One product on sale")
@openapi.response(200, json_doc(PublicProductOut))
@login_required
async def get_product(request: Request, product_id: str):
    return json(await service.get_on_sale(product_id))
