"""Prometheus metrics for `/metrics` on the webhook port.

Built once per process by the entry point (no import-time registry). With several worker
processes on one host, `PROMETHEUS_MULTIPROC_DIR` (set by `jiayi run --webhook` before the
workers start) makes prometheus_client keep each worker's values in a shared directory and
`render()` add them up, whichever worker answers the scrape.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from jiayi.services.delivery import DispatchReport

DISPATCH_STATES = ("sent", "blocked", "failed", "retried", "deferred", "skipped")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    updates: Counter
    handler_seconds: Histogram
    outbox: Counter
    outbox_due: Gauge
    sends: Counter
    flood_waits: Counter
    job_seconds: Histogram
    leader: Gauge

    def observe_job(self, job: str, seconds: float, result: object) -> None:
        self.job_seconds.labels(job=job).observe(seconds)
        if isinstance(result, DispatchReport):
            self.count_dispatch(result)

    def count_dispatch(self, report: DispatchReport) -> None:
        """One dispatcher run's rows by what became of them."""
        counts = {name: getattr(report, name) for name in DISPATCH_STATES}
        claimed = sum(counts.values())
        self.outbox_due.set(claimed)
        if claimed:
            self.outbox.labels(state="claimed").inc(claimed)
        for state, count in counts.items():
            if count:
                self.outbox.labels(state=state).inc(count)

    def render(self) -> bytes:
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


def build_metrics() -> Metrics:
    registry = CollectorRegistry()
    return Metrics(
        registry=registry,
        updates=Counter(
            "jiayi_updates_total",
            "Telegram updates handled, by kind (message, callback_query, ...).",
            ["kind"],
            registry=registry,
        ),
        handler_seconds=Histogram(
            "jiayi_handler_seconds",
            "Time to handle one update, by kind.",
            ["kind"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        ),
        outbox=Counter(
            "jiayi_outbox_total",
            "Outbox rows by what a dispatcher run did with them "
            "(claimed, sent, failed, blocked, retried, deferred, skipped).",
            ["state"],
            registry=registry,
        ),
        outbox_due=Gauge(
            "jiayi_outbox_due",
            "Outbox rows claimed in the last dispatcher run (rows due at its start, up to a "
            "run's batch limit).",
            registry=registry,
            multiprocess_mode="max",
        ),
        sends=Counter(
            "jiayi_sends_total",
            "Telegram send attempts by result (sent, blocked, retry_after, transient, permanent).",
            ["result"],
            registry=registry,
        ),
        flood_waits=Counter(
            "jiayi_telegram_429_total",
            "429 Too Many Requests answers from Telegram.",
            registry=registry,
        ),
        job_seconds=Histogram(
            "jiayi_job_seconds",
            "Duration of scheduler runs, by job (plan_pushes, dispatch_outbox, ...).",
            ["job"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0),
            registry=registry,
        ),
        leader=Gauge(
            "jiayi_scheduler_leader",
            "1 while this worker holds the planning lease.",
            registry=registry,
            multiprocess_mode="livesum",
        ),
    )
