"""Prometheus metrics: what this process did (gradings, sandbox failures) and what the database says.

Counters and the histogram live in this process's registry (a grading process: a Celery pool
process or the embedded web process). Queue depth, submissions by status and worker heartbeats
are read from the database at scrape time, so every web process answers the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# This process's own metrics (not the global default registry: nothing is registered at import elsewhere).
REGISTRY = CollectorRegistry(auto_describe=True)

GRADING_SECONDS = Histogram(
    "autograder_grading_seconds",
    "Wall time of one grading (claim to stored result), by outcome.",
    ["outcome"],
    registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
GRADINGS = Counter(
    "autograder_gradings", "Gradings finished by this process, by outcome.", ["outcome"], registry=REGISTRY
)
SANDBOX_FAILURES = Counter(
    "autograder_sandbox_failures",
    "Units the sandbox itself failed (zygote died or could not start).",
    registry=REGISTRY,
)


def observe_grading(outcome: str, seconds: float, sandbox_failures: int) -> None:
    """Count one grading of this process."""
    GRADING_SECONDS.labels(outcome).observe(seconds)
    GRADINGS.labels(outcome).inc()
    if sandbox_failures:
        SANDBOX_FAILURES.inc(sandbox_failures)


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time (through ``read``, called inside an app context)."""

    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snapshot = self.read()
        depth = GaugeMetricFamily(
            "autograder_queue_depth",
            "Submissions waiting to be graded (queued), by whether they are dispatched "
            "or wait behind the same student's earlier one; regrade_* for the regrade lane.",
            labels=["state"],
        )
        for state, value in snapshot["queue"].items():
            depth.add_metric([state], value)
        yield depth
        statuses = GaugeMetricFamily("autograder_submissions", "Submissions by status.", labels=["status"])
        for status, value in snapshot["statuses"].items():
            statuses.add_metric([status], value)
        yield statuses
        beats = GaugeMetricFamily(
            "autograder_worker_heartbeat_timestamp_seconds",
            "Unix time of each grading worker's last heartbeat.",
            labels=["worker", "kind"],
        )
        ages = GaugeMetricFamily(
            "autograder_worker_heartbeat_age_seconds",
            "Seconds since each grading worker's last heartbeat.",
            labels=["worker", "kind"],
        )
        for worker in snapshot["workers"]:
            beats.add_metric([worker["name"], worker["kind"]], worker["timestamp"])
            ages.add_metric([worker["name"], worker["kind"]], worker["age"])
        yield beats
        yield ages
        live = GaugeMetricFamily("autograder_live_workers", "Grading workers with a recent heartbeat.")
        live.add_metric([], snapshot["live_workers"])
        yield live
