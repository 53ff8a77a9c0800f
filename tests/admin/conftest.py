"""A session's Chromium for the console's browser tests; without one they skip, and say why."""

from __future__ import annotations

import os

import pytest

from tests.admin.browser import LAUNCH_ARGS, Console, chromium_path

NO_CHROMIUM = ("no Chromium found (set YIJIAN_CHROMIUM or `apt-get install chromium`): "
               "the browser tests of /admin and /docs did not run")


@pytest.fixture(scope="session")
async def browser():
    executable = chromium_path()
    if executable is None:
        if os.environ.get("YIJIAN_BROWSER_TESTS") == "required":  # CI (.ci/run)
            pytest.fail(NO_CHROMIUM)
        pytest.skip(NO_CHROMIUM)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def console(browser, server):
    """A fresh tab (its own sessionStorage) on a laptop-sized screen in Beijing time; the test fails if a page
    raised a script error or asked any host but this server for anything."""
    context = await browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN",
                                        timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    tab = await Console(await context.new_page(), server.base_url).watch()
    yield tab
    await context.close()
    assert tab.script_errors == [], tab.script_errors
    assert tab.outside_requests == [], tab.outside_requests
