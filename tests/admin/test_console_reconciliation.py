"""The console's reconciliation page (DESIGN.md §6.2, §8): a day's run and differences, resolved with a note."""

from __future__ import annotations

from playwright.async_api import expect

from app.orders.models import Order
from tests.admin.browser import ARTIFACTS
from tests.factories import operator_headers
from tests.reconciliation.helpers import clear_of_midnight, day_view, of_order, reconcile
from tests.refunds.helpers import paid_wechat_order


async def test_an_operator_reads_the_day_and_resolves_a_difference_with_a_note(console, client, server):
    day = await clear_of_midnight()
    order = await paid_wechat_order(client, 5100)
    await Order.filter(id=order["id"]).update(payable_fen=5000)  # test-only: our books say another amount
    await reconcile(server.app.ctx.deps, day)
    [(_, difference)] = of_order(await day_view(client, day), order["out_trade_no"])
    page = console.page
    await console.login("operator")
    await console.open("reconciliation")
    await page.locator("input[name=date]").fill(day.isoformat())
    await page.locator("select[name=kind]").select_option("amount_mismatch")
    await page.locator("select[name=status]").select_option("open")
    await page.locator("form[data-testid=reconciliation-day] button[type=submit]").click()
    await expect(page.locator("[data-testid=run-status]")).to_have_attribute("data-status", "done")
    await expect(page.locator("table[data-testid=run-totals]")).to_contain_text("微信支付账单")
    row = page.locator(f"table[data-testid=differences] tr[data-id='{difference['id']}']")
    await expect(page.locator("table[data-testid=differences] tbody tr").first).to_contain_text("金额不符")
    while not await row.count():  # the day may hold other tests' differences: page on
        await page.get_by_role("button", name="加载更多").click()
    await expect(row).to_contain_text("金额不符")
    await expect(row).to_contain_text("¥51.00")  # the bill's side
    await expect(row).to_contain_text("¥50.00")  # ours
    await row.get_by_role("button", name="标记已处理").click()
    await row.locator("form[data-testid=resolve-form] button[type=submit]").click()
    await expect(row.locator(".error-box")).to_contain_text("请填写处理说明")  # a note is required
    await row.locator("input[name=note]").fill("<b>已核对</b> 测试改价")
    await row.locator("form[data-testid=resolve-form] button[type=submit]").click()
    await expect(row.locator("[data-testid=handling]")).to_contain_text("已处理 <b>已核对</b> 测试改价")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "admin-reconciliation.png"), full_page=True)
    [(_, resolved)] = of_order(await day_view(client, day), order["out_trade_no"])
    assert (resolved["resolved"], resolved["note"]) == (True, "<b>已核对</b> 测试改价")

    await page.evaluate("sessionStorage.clear()")
    await console.login("analyst")  # reads the same page, offered no resolving
    await console.open(f"reconciliation/{day.isoformat()}")
    await expect(page.locator("[data-testid=run-status]")).to_have_attribute("data-status", "done")
    await expect(page.locator("table[data-testid=differences] tr").nth(1)).to_be_visible()
    assert await page.get_by_role("button", name="标记已处理").count() == 0
    assert (await client.get("/admin/v1/reconciliation", params={"date": day.isoformat()},
                             headers=await operator_headers(client, "analyst"))).status_code == 200
