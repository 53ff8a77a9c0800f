"""The console's forms write what the operator typed (yuan → fen, Beijing time → UTC, conditions)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.checkout.helpers import shopper
from tests.factories import make_product, operator_headers, unique_label


async def _promotion(client, promotion_id: str) -> dict:
    response = await client.get(f"/admin/v1/promotions/{promotion_id}", headers=await operator_headers(client, "analyst"))
    assert response.status_code == 200, response.text
    return response.json()


async def test_promotion_form_creates_and_edits_with_conditions(console, client):
    page = console.page
    await console.login("operator")
    await console.open("promotions/new")
    form = page.locator("form[data-testid=promotion-form]")
    name = unique_label("满百减二十")
    await form.locator("input[name=name]").fill(name)
    await form.locator("select[name=kind]").select_option("threshold")
    await form.locator("input[name=threshold_fen]").fill("20")
    await form.locator("input[name=amount_off_fen]").fill("25")  # more than the threshold: the server refuses
    await form.locator("input[name=enabled]").uncheck()
    await form.locator("input[name=starts_at]").fill("2030-01-02T08:30")
    await form.locator("input[name=budget_fen]").fill("100.5")
    await form.locator("input[name=payment_method][value=wallet]").check()
    await form.locator("input[name='conditions.categories']").fill("咖啡，茶饮")
    await form.locator("input[name='conditions.cities']").fill("广州市, 深圳市")
    await form.locator("input[name='conditions.new_user_only']").check()
    await form.locator("input[name='conditions.hours.from']").fill("22:00")
    await form.locator("input[name='conditions.hours.to']").fill("02:00")
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".error-box")).to_contain_text("VALIDATION_FAILED")
    await expect(form.locator("input[name=threshold_fen]")).to_have_class("invalid")

    await form.locator("input[name=threshold_fen]").fill("100")
    await form.locator("button[type=submit]").click()
    row = page.locator("table[data-testid=promotions] tr", has_text=name)
    await expect(row).to_contain_text("满 ¥100.00 减 ¥25.00")
    saved = await _promotion(client, await row.get_attribute("data-id"))
    assert (saved["kind"], saved["threshold_fen"], saved["amount_off_fen"], saved["enabled"]) == ("threshold", 10000, 2500, False)
    assert saved["starts_at"].startswith("2030-01-02T00:30:00") and saved["budget_fen"] == 10050
    assert saved["conditions"] == {"payment_method": ["wallet"], "categories": ["咖啡", "茶饮"],
                                   "cities": ["广州市", "深圳市"], "new_user_only": True,
                                   "hours": {"from": "22:00", "to": "02:00"}}

    await row.get_by_role("link", name=name).click()
    await expect(form.locator("input[name=starts_at]")).to_have_value("2030-01-02T08:30")
    await form.locator("select[name=kind]").select_option("amount_off")
    await form.locator("input[name=amount_off_fen]").fill("2.5")
    await form.locator("input[name='conditions.hours.from']").fill("")
    await form.locator("input[name='conditions.hours.to']").fill("")
    await form.locator("input[name=budget_fen]").fill("")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("table[data-testid=promotions] tr", has_text=name)).to_contain_text("立减 ¥2.50")
    edited = await _promotion(client, saved["id"])
    assert (edited["kind"], edited["amount_off_fen"], edited["threshold_fen"], edited["budget_fen"]) == ("amount_off", 250, None, None)
    assert edited["conditions"]["hours"] is None and edited["conditions"]["cities"] == ["广州市", "深圳市"]


async def test_product_price_and_stock_edited_in_yuan(console, client):
    made = await make_product(client, price_fen=1200, stock=5)
    page = console.page
    await console.login("operator")
    await console.open("products")
    await page.locator(f"tr[data-id='{made['id']}']").get_by_role("button", name="编辑").click()
    form = page.locator("tr.editor form[data-testid=product-form]")
    await expect(form.locator("input[name=price_fen]")).to_have_value("12.00")
    await form.locator("input[name=price_fen]").fill("9.9")
    await form.locator("input[name=stock]").fill("42")
    await form.locator("button[type=submit]").click()
    await expect(page.locator(f"tr[data-id='{made['id']}']")).to_contain_text("¥9.90")
    listed = (await client.get("/admin/v1/products", headers=await operator_headers(client))).json()["items"]
    product = next(p for p in listed if p["id"] == made["id"])
    assert (product["price_fen"], product["stock"]) == (990, 42)


async def test_wallet_credit_from_the_console(console, client):
    who = await shopper(client, address=None)
    page = console.page
    await console.login("operator")
    await console.open("wallets")
    form = page.locator("form[data-testid=credit-form]")
    await form.locator("input[name=user_id]").fill(who["user_id"])
    await form.locator("input[name=amount]").fill("88.8")
    await form.locator("input[name=reason]").fill("客服补偿")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("p.ok")).to_contain_text("余额 ¥88.80")
    wallet = (await client.get("/api/v1/wallet", headers=who["headers"])).json()
    assert wallet["balance_fen"] == 8880
