"""Every Prometheus metric of yijian (DESIGN.md §6.3), the helpers services count with, and the exposition.

With several workers (`python -m app serve --workers N`) `serve` sets PROMETHEUS_MULTIPROC_DIR before any worker
starts, and prometheus-client then keeps each process's values in memory-mapped files there; a scrape, answered
by whichever worker gets it, adds up every worker's files. Without the variable (one process: the embedded
default, the test suite) values live in memory. prometheus-client reads the variable when it is first imported,
so it must be set before this module is imported (README, "Metrics").
"""

from __future__ import annotations

import functools
import glob
import math
import os
import re
from typing import Optional

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import disable_created_metrics, multiprocess

MULTIPROC_DIR: Optional[str] = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
disable_created_metrics()  # no `_created` series: multiprocess mode has none, and one mode should read like the other
UNMATCHED_ROUTE = "unmatched"  # a request no route matched (404/405): never the raw path, which may hold ids

HTTP_REQUESTS = Counter(
    "yijian_http_requests_total", "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"])
HTTP_DURATION = Histogram(
    "yijian_http_request_duration_seconds", "Time from a request's arrival to its answer, by method and route "
    "template.", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
WORKERS = Gauge(
    "yijian_workers", "Server processes answering requests: each counts itself while it serves; the count of a "
    "worker that exited is dropped.", multiprocess_mode="livesum")
PAYMENTS = Counter(
    "yijian_payments_total", "One-taps that reached the payment step, by payment method and how that step ended.",
    ["method", "outcome"])
NOTIFICATIONS = Counter(
    "yijian_notifications_total", "WeChat Pay notifications received, by API and verdict.", ["api", "verdict"])
PROMOTION_CACHE = Counter(
    "yijian_promotion_cache_lookups_total", "Promotion lookups of the pricing path: hit (served from memory) or "
    "miss (rows reloaded from the database).", ["result"])
RATE_LIMITED = Counter(
    "yijian_rate_limited_total", "Requests refused with 429 RATE_LIMITED, by limit name.", ["limit"])
RISK_EVENTS = Counter(
    "yijian_risk_events_total", "Occurrences of risk events (DESIGN §7), by kind; each is also counted on its row "
    "(one per kind, subject and 10 minutes).", ["kind"])
# Computed from the database when /metrics is scraped, by the worker that answers: its value is the newest.
OUTBOX_PENDING = Gauge(
    "yijian_outbox_pending", "Outbox events not done yet that will still be tried.", multiprocess_mode="mostrecent")
JOBS_LAG = Gauge(
    "yijian_jobs_lag_seconds", "Age of the oldest work that is due and not done, by queue (0 when none is due; "
    "NaN when the database could not be read).", ["queue"], multiprocess_mode="mostrecent")
# Reconciliation against WeChat Pay's trade bill (app/reconciliation, DESIGN §8).
RECONCILIATION_DIFFERENCES = Counter(
    "yijian_reconciliation_differences_total", "Differences between WeChat Pay's trade bill and our books found "
    "by reconciliation, by kind; a rerun of a day that finds one again does not count it again.", ["kind"])
RECONCILIATION_LAG = Gauge(
    "yijian_reconciliation_lag_seconds", "How long the newest day whose bill is due (10:00 Asia/Shanghai the next "
    "day) has waited for a finished reconciliation: 0 once it has one; NaN when the database could not be read.",
    multiprocess_mode="mostrecent")

JOB_QUEUES = ("orders", "refunds", "reconciliation", "stats", "outbox")
_HTTP_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))

# The one-tap errors that end its payment step (DESIGN §6.1's failure reasons), as (method, outcome).
# Other errors (validation, price, stock, address) are no payment's failure and are not counted.
_PAYMENT_ERRORS = {
    "PAYMENT_INSUFFICIENT_BALANCE": ("wallet", "insufficient_balance"),
    "WALLET_PIN_NOT_SET": ("wallet", "pin_not_set"),
    "WALLET_PIN_REQUIRED": ("wallet", "pin_required"),
    "WALLET_PIN_WRONG": ("wallet", "pin_wrong"),
    "WALLET_PIN_LOCKED": ("wallet", "pin_locked"),
    "PAYMENT_PROVIDER_UNAVAILABLE": ("wechatpay", "provider_unavailable"),
}


def count_payment(method: str, outcome: str) -> None:
    """A one-tap's payment step ended well: `paid` (wallet) or `prepay_created` (WeChat Pay's cashier opens)."""
    PAYMENTS.labels(method=method, outcome=outcome).inc()


def count_payment_error(error: BaseException) -> None:
    """Count a one-tap that failed at its payment step; any other error is left alone."""
    found = _PAYMENT_ERRORS.get(getattr(error, "code", None))
    if found is not None:
        PAYMENTS.labels(method=found[0], outcome=found[1]).inc()


def count_notification(api: str, verdict: str) -> None:
    NOTIFICATIONS.labels(api=api, verdict=verdict).inc()


def count_promotion_cache(hit: bool) -> None:
    PROMOTION_CACHE.labels(result="hit" if hit else "miss").inc()


def count_rate_limited(limit: str) -> None:
    RATE_LIMITED.labels(limit=limit).inc()


def count_risk_event(kind: str) -> None:
    RISK_EVENTS.labels(kind=kind).inc()


def expose_reconciliation_kinds(kinds: tuple[str, ...]) -> None:
    """Every kind's count exists from the start at 0, so a rate over it sees the first difference."""
    for kind in kinds:
        RECONCILIATION_DIFFERENCES.labels(kind=kind)


def count_reconciliation_difference(kind: str) -> None:
    RECONCILIATION_DIFFERENCES.labels(kind=kind).inc()


def set_reconciliation_lag(seconds: Optional[float]) -> None:
    RECONCILIATION_LAG.set(math.nan if seconds is None else seconds)


def observe_request(method: str, route: str, status: int, seconds: Optional[float]) -> None:
    method = method if method in _HTTP_METHODS else "other"  # a client picks the method: keep the labels bounded
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    if seconds is not None:
        HTTP_DURATION.labels(method=method, route=route).observe(seconds)


def set_job_backlog(outbox_pending: Optional[int], lag_s: Optional[dict[str, float]]) -> None:
    """The backlog as just read from the database; None when it could not be read (NaN, never a stale value)."""
    OUTBOX_PENDING.set(math.nan if outbox_pending is None else outbox_pending)
    for queue in JOB_QUEUES:
        JOBS_LAG.labels(queue=queue).set(math.nan if lag_s is None else lag_s.get(queue, 0.0))


_PARAM = re.compile(r"^<([^:>]+)(?::.*)?>$")


@functools.lru_cache(maxsize=1024)  # one entry per route
def route_template(path: str) -> str:
    """A Sanic route's path as a label: `/api/v1/orders/<order_id>` (parameters named, their patterns dropped)."""
    segments = (_PARAM.sub(r"<\1>", segment) for segment in path.strip("/").split("/"))
    return "/" + "/".join(segments)


def render() -> bytes:
    """The text exposition of every metric: this process's, or all workers' in multiprocess mode."""
    if MULTIPROC_DIR is None:
        return generate_latest(REGISTRY)
    forget_dead_processes()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)
    return generate_latest(registry)


def forget_dead_processes() -> None:
    """Drop the live gauges (`yijian_workers`) of workers that are gone, killed ones included.

    A worker that stops cleanly does this for itself (`process_stopped`); one that was killed cannot, so the
    scrape looks for the files of processes that no longer exist. Their counters stay: a count never shrinks.
    """
    if MULTIPROC_DIR is None:
        return
    pids = {int(match.group(1)) for name in glob.glob(os.path.join(MULTIPROC_DIR, "gauge_live*_*.db"))
            if (match := re.search(r"_(\d+)\.db$", name))}
    for pid in pids:
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, MULTIPROC_DIR)


def process_started() -> None:
    WORKERS.set(1)


def process_stopped() -> None:
    """This worker is stopping: its live gauges no longer count (prometheus-client's `mark_process_dead`)."""
    WORKERS.set(0)
    if MULTIPROC_DIR is not None:
        multiprocess.mark_process_dead(os.getpid(), MULTIPROC_DIR)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
