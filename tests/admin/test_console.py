"""The operators' console in a real browser (DESIGN.md §6.2): login, roles, promotions, refunds, escaping."""

from __future__ import annotations

from playwright.async_api import expect

from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import make_product, make_promotion, operator_headers
from tests.notify.helpers import admin_order
from tests.refunds.helpers import paid_wallet_order
from tests.stats.helpers import drained, today as beijing_today

SESSION_KEY = "yijian.admin.session"


async def test_login_keeps_the_token_in_session_storage_not_in_a_cookie(console, server):
    page = console.page
    await console.open()
    await page.fill("input[name=username]", "nobody-here")
    await page.fill("input[name=password]", "wrong password")
    await page.click("form[data-testid=login-form] button[type=submit]")
    await expect(page.locator(".error-box")).to_contain_text("OPERATOR_LOGIN_FAILED")

    username = await console.login("operator")
    await expect(page.locator("#who")).to_contain_text(username)
    assert await page.context.cookies() == []
    saved = await page.evaluate(f"JSON.parse(sessionStorage.getItem('{SESSION_KEY}'))")
    assert saved["role"] == "operator" and saved["token"].count(".") == 2
    await page.reload()  # the tab keeps its session
    await expect(page.locator("#nav a", has_text="订单")).to_be_visible()

    await page.click("#who button")  # 退出
    await expect(page.locator("form[data-testid=login-form]")).to_be_visible()
    assert await page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')") is None


async def test_each_role_is_offered_only_what_it_may_do(console, client):
    order, _ = await paid_wallet_order(client)
    page = console.page

    await console.login("analyst")
    assert await console.nav_titles() == ["概览", "促销活动", "商品", "订单", "售后反馈", "风险事件", "对账", "审计日志"]
    await console.open("promotions")
    await expect(page.locator("table[data-testid=promotions] tbody tr").first).to_be_visible()
    assert await page.locator("input.switch").count() == 0
    assert await page.get_by_text("新建活动").count() == 0
    await console.open(f"orders/{order['id']}")
    await expect(page.locator("table[data-testid=transitions]")).to_be_visible()
    assert await page.locator("form[data-testid=refund-form]").count() == 0
    await console.open("wallets")  # not offered: back to the dashboard
    await expect(page.locator("[data-page=dashboard]")).to_be_visible()

    await page.evaluate("sessionStorage.clear()")
    await console.login("operator")
    assert await console.nav_titles() == ["概览", "促销活动", "商品", "订单", "钱包充值", "售后反馈", "风险事件", "对账", "审计日志"]
    await console.open(f"orders/{order['id']}")
    await expect(page.locator("form[data-testid=refund-form]")).to_be_visible()

    await page.evaluate("sessionStorage.clear()")
    await console.login("admin")
    assert "操作员" in await console.nav_titles()


async def _quote_payable(client, who: dict, tea: dict) -> int:
    response = await client.post("/api/v1/checkout/quote", json={"items": items((tea, 1))}, headers=who["headers"])
    assert response.status_code == 200, response.text
    return response.json()["payable_fen"]


async def test_switching_a_promotion_off_changes_the_next_quote(console, client):
    tea = await product(client, price_fen=1000, stock=10)
    promotion = await make_promotion(client, kind="amount_off", amount_off_fen=300,
                                     conditions={"categories": [tea["category"]]})
    who = await shopper(client)
    assert await _quote_payable(client, who, tea) == 700

    page = console.page
    await console.login("operator")
    await console.open("promotions")
    switch = page.locator(f"tr[data-id='{promotion['id']}'] input.switch")
    await expect(switch).to_be_checked()
    async with page.expect_response(lambda r: r.request.method == "PATCH" and promotion["id"] in r.url) as answer:
        await switch.click()
    assert (await answer.value).status == 200
    assert await _quote_payable(client, who, tea) == 1000

    await page.reload()  # what the list shows is what the server keeps
    await expect(page.locator(f"tr[data-id='{promotion['id']}'] input.switch")).not_to_be_checked()
    async with page.expect_response(lambda r: r.request.method == "PATCH" and promotion["id"] in r.url):
        await page.locator(f"tr[data-id='{promotion['id']}'] input.switch").click()
    assert await _quote_payable(client, who, tea) == 700


async def test_refund_from_the_order_page_once_despite_a_double_click(console, client):
    order, _ = await paid_wallet_order(client, price_fen=1200)
    page = console.page
    refund_posts = []
    page.on("request", lambda request: refund_posts.append(request.headers.get("idempotency-key"))
            if request.method == "POST" and request.url.endswith("/refund") else None)

    await console.login("operator")
    await console.open(f"orders/{order['id']}")
    form = page.locator("form[data-testid=refund-form]")
    await expect(form.locator("input[name=amount]")).to_have_value("12.00")
    await form.locator("input[name=reason]").fill("顾客退货")
    await form.locator("button[type=submit]").dblclick()

    await expect(page.locator("table[data-testid=refunds] td[data-status=SUCCESS]")).to_have_count(1)
    await expect(page.locator("[data-status=REFUNDED]").first).to_have_text("已退款")
    await expect(page.locator("form[data-testid=refund-form]")).to_have_count(0)  # nothing left to refund
    assert len(refund_posts) == 1 and refund_posts[0]
    detail = await admin_order(client, order["id"])
    assert detail["status"] == "REFUNDED"
    assert [(r["amount_fen"], r["status"], r["reason"]) for r in detail["refunds"]] == [(1200, "SUCCESS", "顾客退货")]


XSS_PRODUCT = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>"><b>粗</b>'
XSS_PROMOTION = '<svg onload="window.__xss=3;alert(3)">'


async def test_markup_saved_as_a_name_is_shown_as_text(console, client):
    await make_product(client, name=XSS_PRODUCT)
    await make_promotion(client, name=XSS_PROMOTION, enabled=False)
    page = console.page
    await console.login("analyst")

    await console.open("products")
    await expect(page.locator("table[data-testid=products] td.name").first).to_have_text(XSS_PRODUCT)
    await console.open("promotions")
    await expect(page.get_by_role("link", name=XSS_PROMOTION, exact=True)).to_be_visible()

    assert await page.evaluate("window.__xss") is None
    assert console.dialogs == []
    assert await page.locator("#main img, #main script, #main svg, #main b").count() == 0


async def test_dashboard_draws_its_charts_from_the_statistics(console, client, server):
    """Today's figures, the 30 days' chart and the methods' failures from /admin/v1/stats (DESIGN §6.1, §6.2)."""
    order, _ = await paid_wallet_order(client)  # at least one paid order and one failure to show
    poor = await shopper(client, balance_fen=100, pin=PIN, pin_free_limit_fen=5000)
    tea = await product(client, price_fen=order["payable_fen"], stock=5)
    failed = await one_tap(client, poor, {"items": items((tea, 1)), "payment_method": "wallet"})
    assert failed.status_code == 402, failed.text
    await drained(server)
    day = beijing_today().isoformat()
    today = (await client.get("/admin/v1/stats/summary", params={"from": day, "to": day},
                              headers=await operator_headers(client, "analyst"))).json()
    assert today["totals"]["paid"] >= 1
    page = console.page
    await console.login("analyst")
    await expect(page.locator("[data-page=dashboard] h1")).to_have_text("概览")
    await expect(page.locator("[data-figure=paid] strong")).to_have_text(str(today["totals"]["paid"]))
    await expect(page.locator("[data-testid=methods] tbody tr")).to_have_count(len(today["by_method"]))
    await expect(page.locator("[data-testid=latency] tbody tr")).to_have_count(2)
    last = await page.locator("canvas[data-testid=chart-daily]").evaluate(
        "(c) => window.Chart.getChart(c).data.datasets.map((d) => d.data[d.data.length - 1])")
    assert last == [today["totals"]["gmv_fen"] / 100, today["totals"]["paid"]]
    assert await console.coloured_pixels("canvas[data-testid=chart-daily]") > 500
    assert await console.coloured_pixels("canvas[data-testid=chart-failures]") > 100

    from tests.admin.browser import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)
