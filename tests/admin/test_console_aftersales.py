"""The console's feedback and risk-event pages (DESIGN.md §6.2, §7): the queue, a reply that resolves, and risk events;
shoppers' text is shown as the characters it is."""

from __future__ import annotations

from playwright.async_api import expect

from app.risk import events
from tests.admin.browser import ARTIFACTS
from tests.factories import operator_headers
from tests.feedback.helpers import filed
from tests.notify.helpers import wechat_order
from tests.servers import other_loopback_address

XSS_FEEDBACK = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script><b>粗</b>'


async def test_an_operator_replies_to_feedback_and_resolves_it(console, client):
    made = await wechat_order(client)
    mine = await filed(client, made["who"]["headers"], made["order"]["id"], category="paid_not_updated",
                       text=XSS_FEEDBACK)
    page = console.page
    await console.login("operator")
    await console.open("feedback")
    row = page.locator(f"table[data-testid=feedback] tr[data-id='{mine['id']}']")
    await expect(page.locator("table[data-testid=feedback] tbody tr").first).to_be_visible()
    while not await row.count():  # the open queue may hold other tests' feedback: page on
        await page.get_by_role("button", name="加载更多").click()
    await expect(row.locator("[data-testid=feedback-text]")).to_have_text(XSS_FEEDBACK)
    await expect(row).to_contain_text("已付款但订单未更新")
    await expect(row).to_contain_text("待处理")
    assert await page.evaluate("window.__xss") is None
    assert console.dialogs == []
    assert await page.locator("#main img, #main script, #main b").count() == 0

    await row.get_by_role("button", name="回复").click()
    await row.locator("form[data-testid=reply-form] button[type=submit]").click()
    await expect(row.locator(".error-box")).to_contain_text("请填写回复内容")
    await row.locator("textarea[name=text]").fill("已为您补单，<b>请刷新</b>")
    await row.locator("form[data-testid=reply-form] button[type=submit]").click()
    await expect(row).to_have_attribute("data-status", "resolved")
    await expect(row.locator("[data-testid=replies]")).to_contain_text("已为您补单，<b>请刷新</b>")
    await expect(row).to_contain_text("已解决")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "admin-feedback.png"), full_page=True)

    seen = (await client.get("/api/v1/feedback", headers=made["who"]["headers"])).json()["items"][0]
    assert seen["status"] == "resolved" and [r["text"] for r in seen["replies"]] == ["已为您补单，<b>请刷新</b>"]

    await page.evaluate("sessionStorage.clear()")
    await console.login("analyst")  # reads the queue, offered no reply
    await console.open("feedback/resolved")
    await expect(page.locator("table[data-testid=feedback] tbody tr").first).to_be_visible()
    assert await page.get_by_role("button", name="回复").count() == 0


async def test_risk_events_are_listed_with_their_count(console, client):
    source = other_loopback_address()
    for _ in range(3):
        await events.record("notify_forgery", events.address(source), {"endpoint": "/notify/wechatpay",
                                                                         "reason": "<script>window.__xss=5</script>"})
    page = console.page
    await console.login("analyst")
    await console.open("risk")
    await page.locator("select[name=kind]").select_option("notify_forgery")
    await page.locator("form[data-testid=risk-filter] button[type=submit]").click()
    row = page.locator("table[data-testid=risk-events] tr", has_text=f"来源地址 {source}")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("伪造支付通知")
    await expect(row.locator("[data-testid=count]")).to_have_text("3")
    assert await page.evaluate("window.__xss") is None
    listed = (await client.get("/admin/v1/risk/events", params={"kind": "notify_forgery"},
                               headers=await operator_headers(client, "analyst"))).json()["items"]
    assert any(event["subject"] == f"ip:{source}" and event["count"] == 3 for event in listed)
