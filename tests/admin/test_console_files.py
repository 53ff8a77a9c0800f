"""The console's and /docs's files as served and as packaged (DESIGN.md §6.2; no browser needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.admin.routes import CONTENT_SECURITY_POLICY, STATIC_DIR
from tests.factories import assert_error

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_CODE = sorted((STATIC_DIR / "js").rglob("*.js"))


@pytest.mark.parametrize("path", ["/admin", "/admin/"])
async def test_console_page_is_served_with_a_strict_content_security_policy(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "一键 · 运营后台" in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY and "script-src 'self';" in CONTENT_SECURITY_POLICY


async def test_every_file_the_page_names_is_served_from_this_server(client):
    page = (await client.get("/admin")).text
    names = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/admin/assets/vendor/chart.js/chart.umd.min.js" in names
    for name in names:
        if name.startswith("data:"):
            continue
        assert name.startswith("/admin/assets/"), name
        response = await client.get(name)
        assert response.status_code == 200, name
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_api_paths_under_admin_keep_the_json_error_shape(client):
    assert_error(await client.get("/admin/v1/no-such-thing"), 404, "NOT_FOUND")
    assert_error(await client.get("/admin/assets/no-such-file.js"), 404, "NOT_FOUND")
    assert_error(await client.get("/admin/assets/../routes.py"), 404, "NOT_FOUND")
    assert_error(await client.get("/admin/v1/promotions"), 401, "AUTH_TOKEN_MISSING")
    assert_error(await client.delete("/admin"), 405, "METHOD_NOT_ALLOWED")


async def test_static_routes_stay_out_of_the_openapi_document(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/admin/v1/promotions" in paths
    assert not [path for path in paths if path.startswith(("/admin/assets", "/docs")) or path in ("/admin", "/admin/")]


async def test_docs_page_loads_swagger_ui_from_this_server(client):
    page = (await client.get("/docs")).text
    names = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert names and all(name.startswith(("/docs/assets/", "data:")) for name in names), names
    for name in names:
        if not name.startswith("data:"):
            assert (await client.get(name)).status_code == 200, name
    assert "http://" not in page and "https://" not in page


def test_console_code_builds_no_markup_from_strings():
    """Text reaches the page only as text nodes; the browser test shows one payload, this keeps every page so."""
    assert CONSOLE_CODE
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function")
    offenders = [f"{path.name}: {line.strip()}" for path in CONSOLE_CODE
                 for line in path.read_text(encoding="utf-8").splitlines() if sinks.search(line)]
    assert offenders == []


def test_chart_library_is_vendored_with_its_licence():
    vendored = STATIC_DIR / "vendor" / "chart.js"
    assert (vendored / "chart.umd.min.js").read_text(encoding="utf-8").startswith("/*!\n * Chart.js v4.")
    assert "MIT License" in (vendored / "LICENSE.md").read_text(encoding="utf-8")


def test_wheel_ships_every_console_file(tmp_path):
    """package-data in pyproject.toml: a wheel built from the sources holds the console and its licence."""
    source = tmp_path / "src"
    shutil.copytree(ROOT / "app", source / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", str(source), "-w", str(tmp_path / "dist")], check=True,
                   capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("yijian-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    wanted = {f"app/admin/{path.relative_to(STATIC_DIR.parent).as_posix()}"
              for path in STATIC_DIR.rglob("*") if path.is_file()} | {"app/admin/swagger.html"}
    assert "app/admin/static/vendor/chart.js/LICENSE.md" in wanted
    assert wanted - shipped == set()
