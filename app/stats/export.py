"""The reports as CSV (DESIGN §6.1): UTF-8 with a BOM so spreadsheet programs in China read it right, one header
row, amounts in fen, rates as fractions (empty when there was nothing to divide by)."""

from __future__ import annotations

import csv
import io
from typing import Any, Optional

from app.stats.figures import FAILURE_REASONS, LATENCY_STAGES

BOM = "\ufeff"
TOTALS = ("quotes", "orders", "paid", "gmv_fen", "refunds_fen", "net_fen")


def columns(methods: list[str]) -> list[str]:
    """The columns after the first (`from`,`to` or `date`): one per figure, methods and stages spelled out."""
    names = [*TOTALS, "order_rate", "pay_rate"]
    for method in methods:
        names += [f"{method}_attempts", f"{method}_paid", f"{method}_success_rate",
                  *(f"{method}_failures_{reason}" for reason in FAILURE_REASONS)]
    for stage in LATENCY_STAGES:
        names += [f"{stage}_p50_ms", f"{stage}_p95_ms"]
    return names


def _cell(value: Optional[Any]) -> Any:
    return "" if value is None else value


def row(report: dict[str, Any], totals: dict[str, Any]) -> list[Any]:
    """A report's figures in `columns` order; `totals` is where its totals are (nested in a summary, flat in a day)."""
    cells = [totals[name] for name in TOTALS]
    cells += [_cell(report["conversion"]["order_rate"]), _cell(report["conversion"]["pay_rate"])]
    for figures in report["by_method"].values():
        cells += [figures["attempts"], figures["paid"], _cell(figures["success_rate"]),
                  *(figures["failures"][reason] for reason in FAILURE_REASONS)]
    for stage in LATENCY_STAGES:
        latency = report["notify_latency_ms"][stage]
        cells += [_cell(latency["p50"]), _cell(latency["p95"])]
    return cells


def _text(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return BOM + out.getvalue()


def summary_csv(summary: dict[str, Any]) -> str:
    header = ["from", "to", *columns(list(summary["by_method"]))]
    return _text(header, [[summary["from"], summary["to"], *row(summary, summary["totals"])]])


def daily_csv(daily: dict[str, Any]) -> str:
    items = daily["items"]
    methods = list(items[0]["by_method"]) if items else []
    return _text(["date", *columns(methods)], [[item["date"], *row(item, item)] for item in items])
