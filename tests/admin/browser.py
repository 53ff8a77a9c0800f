"""Driving the console in Debian's Chromium with Playwright (STACK-NOTES: Playwright's own browser download is
out of reach, so the system's Chromium is launched by path)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from tests.factories import OPERATOR_PASSWORD, unique_label

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # git-ignored
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

# The number of coloured (not grey, not transparent) pixels of a canvas: bars and lines, not axes and grid.
COLOURED_PIXELS_JS = """(canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let coloured = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured += 1;
  }
  return coloured;
}"""


def chromium_path() -> str | None:
    """`YIJIAN_CHROMIUM`, else `chromium` on PATH (Debian's package), else None: the browser tests skip."""
    candidate = os.environ.get("YIJIAN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return candidate if candidate and os.access(candidate, os.X_OK) else None


class Console:
    """One browser tab on the console, with what it did that a test must see: dialogs opened, script errors,
    and requests to any host but this server (aborted)."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.dialogs: list[str] = []
        self.script_errors: list[str] = []
        self.outside_requests: list[str] = []

    async def watch(self) -> Console:
        async def on_dialog(dialog) -> None:
            self.dialogs.append(dialog.message)
            await dialog.dismiss()

        async def only_this_server(route) -> None:
            if urlsplit(route.request.url).hostname in LOOPBACK:
                await route.continue_()
            else:
                self.outside_requests.append(route.request.url)
                await route.abort()

        self.page.on("dialog", on_dialog)
        self.page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        await self.page.context.route("**/*", only_this_server)
        return self

    async def open(self, fragment: str = "") -> None:
        await self.page.goto(f"{self.base_url}/admin#/{fragment}")

    async def login(self, role: str = "operator") -> str:
        """A new operator with `role`, logged in through the login page; its username."""
        from app.operators.service import create_operator

        username = unique_label(f"{role}-")
        await create_operator(username, OPERATOR_PASSWORD, role)
        await self.open("login")
        await self.page.fill("input[name=username]", username)
        await self.page.fill("input[name=password]", OPERATOR_PASSWORD)
        await self.page.click("form[data-testid=login-form] button[type=submit]")
        await self.page.locator("#nav a", has_text="概览").wait_for()
        return username

    def nav_titles(self):
        return self.page.locator("#nav a").all_inner_texts()

    async def coloured_pixels(self, selector: str) -> int:
        canvas = self.page.locator(selector)
        await canvas.wait_for()
        return await canvas.evaluate(COLOURED_PIXELS_JS)
