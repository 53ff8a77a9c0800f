"""/docs without the internet: Swagger UI's files come from the swagger-ui-bundle package, served by this app.

sanic-ext's own page loads Swagger UI from a CDN, so it is blank on a machine that cannot reach one; its
`OAS_PATH_TO_SWAGGER_HTML` and `OAS_UI_SWAGGER_CDN_URL` options point it at our page and our copy instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sanic import Sanic
from swagger_ui_bundle import swagger_ui_path

ASSETS_URI = "/docs/assets"
PAGE = Path(__file__).resolve().parent / "swagger.html"


def config() -> dict[str, Any]:
    """sanic-ext settings that make /docs use `PAGE` and the assets served under `ASSETS_URI`."""
    return {"OAS_PATH_TO_SWAGGER_HTML": str(PAGE), "OAS_UI_SWAGGER_CDN_URL": ASSETS_URI,
            "OAS_UI_SWAGGER_HTML_TITLE": "yijian (一键) API"}


def install(app: Sanic) -> None:
    app.static(ASSETS_URI, Path(str(swagger_ui_path)), name="docs_assets")
