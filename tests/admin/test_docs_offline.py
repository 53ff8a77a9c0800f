"""/docs renders the API from this server alone: no request to any other host (issue 9)."""

from __future__ import annotations

from playwright.async_api import expect


async def test_docs_render_the_operations_without_other_hosts(console, server):
    page = console.page
    await page.goto(f"{server.base_url}/docs")
    await expect(page.locator(".opblock").first).to_be_visible()
    assert await page.locator(".opblock").count() > 30
    await expect(page.locator(".opblock-summary-path", has_text="/api/v1/checkout/one-tap").first).to_be_visible()
    await expect(page.locator(".opblock-summary-path", has_text="/admin/v1/promotions").first).to_be_visible()
    assert console.outside_requests == []
