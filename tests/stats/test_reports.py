"""The reports (DESIGN §6.1): ranges and their validation, Asia/Shanghai day boundaries, rates and percentiles from
the rollups, CSV parsed back, roles, and a year's summary reading at most 366 rollup rows and no order."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from app.jobs import outbox, runner
from app.orders.models import Order
from app.stats import repository
from tests.checkout.helpers import PIN, items, one_tap, product, shopper
from tests.factories import assert_error, operator_headers, user_headers
from tests.stats.helpers import daily, drained, fresh, isolated_days, summary, today

UTC = timezone.utc


async def _emit(kind: str, payload: dict) -> None:
    async with in_transaction() as connection:
        await outbox.emit(connection, kind, payload)


def _shanghai_midnight(day: date) -> datetime:
    """00:00 Asia/Shanghai of `day`, which is 16:00 UTC of the day before."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8)


async def test_events_land_on_their_asia_shanghai_day(client, server):
    days = isolated_days(3)
    await fresh(days)
    midnight = _shanghai_midnight(days[1])
    failed = {"user_id": "usr_x", "payment_method": "wallet", "order_id": None}
    await _emit("payment.failed", {**failed, "reason": "WALLET_PIN_WRONG",
                                   "at": (midnight - timedelta(milliseconds=1)).isoformat()})
    await _emit("payment.failed", {**failed, "reason": "PAYMENT_INSUFFICIENT_BALANCE", "at": midnight.isoformat()})
    await _emit("order.payment_cancelled", {"order_id": "ord_x", "user_id": "usr_x", "payment_method": "wechatpay",
                                            "at": (midnight + timedelta(hours=23, minutes=59)).isoformat()})
    # a real order, made and paid with the wallet, as if made just before midnight and paid just after it
    tea = await product(client, price_fen=700, stock=10)
    who = await shopper(client, balance_fen=5000, pin=PIN, pin_free_limit_fen=5000)
    made = await one_tap(client, who, {"items": items((tea, 1)), "payment_method": "wallet"})
    assert made.status_code == 201, made.text
    order = made.json()["order"]
    await drained(server)  # its own events counted today, before it is moved back in time
    await Order.filter(id=order["id"]).update(created_at=midnight - timedelta(seconds=1))
    await _emit("order.created", {"order_id": order["id"], "user_id": who["user_id"], "payment_method": "wallet",
                                  "payable_fen": 700, "at": (midnight - timedelta(seconds=1)).isoformat()})
    await _emit("order.paid", {"order_id": order["id"], "user_id": who["user_id"], "payment_method": "wallet",
                               "amount_fen": 700, "cause": "one_tap_wallet", "transaction_id": None,
                               "out_trade_no": order["out_trade_no"], "at": (midnight + timedelta(seconds=1)).isoformat()})
    await drained(server)

    before, on, after = await daily(client, days[0], days[2])
    assert [item["date"] for item in (before, on, after)] == [day.isoformat() for day in days]
    assert before["by_method"]["wallet"]["failures"]["WALLET_PIN_WRONG"] == 1
    assert before["by_method"]["wallet"]["failures"]["PAYMENT_INSUFFICIENT_BALANCE"] == 0
    assert on["by_method"]["wallet"]["failures"]["PAYMENT_INSUFFICIENT_BALANCE"] == 1
    assert on["by_method"]["wechatpay"]["failures"]["USER_ABANDONED"] == 1
    # made the day before: counted there (with its attempt) and paid-of-created there; paid on the day
    assert (before["orders"], before["paid"], before["by_method"]["wallet"]["attempts"]) == (1, 0, 2)
    assert before["conversion"]["pay_rate"] == 1.0
    assert (on["orders"], on["paid"], on["gmv_fen"], on["by_method"]["wallet"]["paid"]) == (0, 1, 700, 1)
    assert on["conversion"]["pay_rate"] is None and on["by_method"]["wallet"]["attempts"] == 1
    assert after["orders"] == after["paid"] == after["gmv_fen"] == 0 and after["by_method"]["wallet"]["attempts"] == 0
    whole = await summary(client, days[0], days[2])
    assert whole["totals"] == {"quotes": 0, "orders": 1, "paid": 1, "gmv_fen": 700, "refunds_fen": 0, "net_fen": 700}
    assert whole["by_method"]["wallet"]["success_rate"] == round(1 / 3, 4)
    assert whole["conversion"] == {"order_rate": None, "pay_rate": 1.0}


async def test_rates_and_latency_percentiles_come_from_the_rollups(client):
    days = isolated_days(2)
    await fresh(days)
    bucket = "latency.received_to_paid."
    async with in_transaction() as connection:
        await repository.add(connection, {days[0]: {"quotes": 8, "orders": 4, "paid_of_created": 3,
                                                    "wechatpay.attempts": 4, "wechatpay.paid": 3,
                                                    bucket + "0": 50, bucket + "4": 50},  # ≤5 ms, 50–100 ms
                                          days[1]: {"quotes": 2, "refunds_fen": 100, "gmv_fen": 40,
                                                    bucket + "15": 1}})  # beyond the last bound
    report = await summary(client, days[0], days[1])
    assert report["conversion"] == {"order_rate": 0.4, "pay_rate": 0.75}
    assert report["by_method"]["wechatpay"]["success_rate"] == 0.75
    assert report["totals"]["net_fen"] == -60
    # 101 samples: the median (rank 50.5) just past the first bucket, the 95th in the 50–100 ms one
    assert report["notify_latency_ms"]["received_to_paid"] == {"p50": 50, "p95": 96}
    assert report["notify_latency_ms"]["success_to_received"] == {"p50": None, "p95": None}
    first_day = (await daily(client, days[0], days[0]))[0]
    assert first_day["notify_latency_ms"]["received_to_paid"] == {"p50": 5, "p95": 95}


async def test_ranges_default_to_the_last_seven_days_and_are_checked(client):
    headers = await operator_headers(client, "analyst")
    response = await client.get("/admin/v1/stats/summary", headers=headers)
    assert response.status_code == 200, response.text
    assert (response.json()["from"], response.json()["to"]) == ((today() - timedelta(days=6)).isoformat(),
                                                                 today().isoformat())
    items = (await client.get("/admin/v1/stats/daily", headers=headers)).json()["items"]
    assert [item["date"] for item in items] == [(today() - timedelta(days=6 - n)).isoformat() for n in range(7)]
    year = await client.get("/admin/v1/stats/daily", params={"from": "2024-01-01", "to": "2024-12-31"},
                            headers=headers)
    assert year.status_code == 200 and len(year.json()["items"]) == 366
    for path in ("summary", "daily"):
        for params in ({"from": "2024-01-01", "to": "2025-01-01"}, {"from": "2024-03-02", "to": "2024-03-01"},
                       {"from": "2024-02-30"}, {"to": "yesterday"}, {"from": "2024-1-1"}, {"format": "xml"}):
            error = assert_error(await client.get(f"/admin/v1/stats/{path}", params=params, headers=headers),
                                 422, "VALIDATION_FAILED")
            assert error["fields"][0]["field"] in params, (params, error)


async def test_every_operator_role_reads_statistics_and_no_one_else(client):
    for role in ("analyst", "operator", "admin"):
        response = await client.get("/admin/v1/stats/summary", headers=await operator_headers(client, role))
        assert response.status_code == 200, (role, response.text)
    assert_error(await client.get("/admin/v1/stats/daily"), 401, "AUTH_TOKEN_MISSING")
    assert_error(await client.get("/admin/v1/stats/daily", headers=await user_headers(client)), 401,
                 "AUTH_TOKEN_INVALID")


def _parsed(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8's BOM
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


async def test_both_reports_answer_csv_that_parses_back_to_the_json(client):
    days = isolated_days(3)
    await fresh(days)
    async with in_transaction() as connection:
        await repository.add(connection, {days[1]: {"quotes": 5, "orders": 2, "paid": 1, "gmv_fen": 1234,
                                                    "paid_of_created": 1, "wallet.attempts": 3, "wallet.paid": 1,
                                                    "wallet.failures.WALLET_PIN_LOCKED": 2,
                                                    "latency.success_to_received.7": 1}})
    headers = await operator_headers(client, "analyst")
    params = {"from": days[0].isoformat(), "to": days[2].isoformat()}
    report = (await client.get("/admin/v1/stats/summary", params=params, headers=headers)).json()
    by_query = _parsed(await client.get("/admin/v1/stats/summary", params={**params, "format": "csv"},
                                        headers=headers))
    by_accept = _parsed(await client.get("/admin/v1/stats/summary", params=params,
                                         headers={**headers, "Accept": "text/csv"}))
    assert by_query == by_accept and len(by_query) == 1
    [row] = by_query
    assert (row["from"], row["to"]) == (params["from"], params["to"])
    assert {name: int(row[name]) for name in report["totals"]} == report["totals"]
    assert float(row["order_rate"]) == report["conversion"]["order_rate"] == 0.4
    assert float(row["pay_rate"]) == 0.5
    assert (row["wallet_attempts"], row["wallet_paid"], row["wallet_failures_WALLET_PIN_LOCKED"]) == ("3", "1", "2")
    assert row["wechatpay_success_rate"] == "" and row["wechatpay_failures_USER_ABANDONED"] == "0"
    assert int(row["success_to_received_p50_ms"]) == report["notify_latency_ms"]["success_to_received"]["p50"]
    assert row["received_to_paid_p95_ms"] == ""

    rows = _parsed(await client.get("/admin/v1/stats/daily", params={**params, "format": "csv"}, headers=headers))
    items = (await client.get("/admin/v1/stats/daily", params=params, headers=headers)).json()["items"]
    assert [r["date"] for r in rows] == [item["date"] for item in items] == [day.isoformat() for day in days]
    assert [int(r["gmv_fen"]) for r in rows] == [0, 1234, 0]
    assert [int(r["quotes"]) for r in rows] == [item["quotes"] for item in items] == [0, 5, 0]
    assert list(rows[0]) == ["date", *list(row)[2:]]  # the same columns as the summary's, after the first


async def test_a_years_summary_reads_its_rollups_and_never_the_orders(client, server):
    """One query of at most 366 rows, whatever the number of orders; with the jobs stopped, every query the
    request makes is seen."""
    days = isolated_days(366)
    await fresh(days)
    async with in_transaction() as connection:
        await repository.add(connection, {day: {"orders": 1, "quotes": 2} for day in days})
    connection = Tortoise.get_connection("default")
    client_class = type(connection)
    seen: list[tuple[str, int]] = []
    originals = {name: getattr(client_class, name) for name in ("execute_query", "execute_query_dict")}

    def recording(name):
        async def execute(self, query, values=None):
            answer = await originals[name](self, query, values)
            rows = answer[1] if name == "execute_query" else answer
            seen.append((query, len(rows)))
            return answer
        return execute

    headers = await operator_headers(client, "analyst")
    await runner.stop(server.app)
    try:
        for name in originals:
            setattr(client_class, name, recording(name))
        response = await client.get("/admin/v1/stats/summary",
                                    params={"from": days[0].isoformat(), "to": days[-1].isoformat()}, headers=headers)
    finally:
        for name, original in originals.items():
            setattr(client_class, name, original)
        await runner.start(server.app)
    assert response.status_code == 200, response.text
    assert response.json()["totals"]["orders"] == 366 and response.json()["totals"]["quotes"] == 732
    rollups = [(query, rows) for query, rows in seen if "stats_days" in query]
    assert len(rollups) == 1 and rollups[0][1] == 366, rollups
    assert not [query for query, _ in seen if '"orders"' in query or "order_" in query or '"payments"' in query], seen
