"""Prometheus metrics of a node (prometheus_client): HTTP API requests and latency, responses, backend
errors, sessions.

The names App Suite itself exposes come first (`appsuite_httpapi_requests_seconds` per module,
action and status; `appsuite_sessions_active_total`), so that a load generator's figures can be
cross-checked against them as against a real node; the `ox_*` names are this middleware's own.

A node of several worker processes (`oxref.workers`) runs prometheus_client in its multiprocess
mode: every worker counts into files of one folder and a scrape, whichever worker answers it, sums
them all. The gauges (sessions, storage) are read at the scrape, not stored, so no worker's stale
value can show.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LABEL_LENGTH = 64


class Metrics:
    def __init__(self, node: str):
        self.node = node
        self.registry = CollectorRegistry()
        r = self.registry
        self.api_seconds = Histogram("appsuite_httpapi_requests_seconds", "HTTP API requests by module, action and "
                                     "status (OK or the OX error code), as App Suite counts them.",
                                     ["module", "action", "status"], buckets=BUCKETS, registry=r)
        self.requests = Counter("ox_http_requests", "HTTP API requests by module, action and outcome (ok or error code).",
                                ["node", "module", "action", "status"], registry=r)
        self.latency = Histogram("ox_http_request_duration_seconds", "Latency of HTTP API requests.", ["node"],
                                 buckets=BUCKETS, registry=r)
        self.backend_errors = Counter("ox_backend_errors", "Failures of the database, IMAP/SMTP or filestore, by OX "
                                      "error code.", ["node", "code"], registry=r)
        self.responses = Counter("ox_http_responses", "HTTP responses by area (api, dav, soap, eas, health, ui) and "
                                 "status.", ["node", "area", "status"], registry=r)

    def observe(self, module: str, action: str, status: str, seconds: float) -> None:
        module, action, status = label(module), label(action), label(status)
        self.api_seconds.labels(module, action, "OK" if status == "ok" else status).observe(seconds)
        self.requests.labels(self.node, module, action, status).inc()
        self.latency.labels(self.node).observe(seconds)

    def response(self, area: str, status: int) -> None:
        self.responses.labels(self.node, area, str(status)).inc()

    def backend_error(self, code: str) -> None:
        self.backend_errors.labels(self.node, label(code)).inc()

    def render(self, active_sessions: int | None, storage: str = "shared") -> str:
        """The exposition text: this process's counts, or with several workers every worker's summed."""
        if multiprocess_folder():
            from prometheus_client.multiprocess import MultiProcessCollector

            counts = CollectorRegistry()
            MultiProcessCollector(counts)
        else:
            counts = self.registry
        state = CollectorRegistry()
        state.register(SessionState(self.node, active_sessions, storage))
        return generate_latest(counts).decode() + generate_latest(state).decode()


class SessionState:
    """The session gauges as read at this scrape (a collector, so that they are never stored per worker)."""

    def __init__(self, node: str, active: int | None, storage: str):
        self.node, self.active, self.storage = node, active, storage

    def collect(self):
        info = GaugeMetricFamily("ox_sessions_storage_info", "Where this node keeps sessions: shared (configdb) or "
                                 "local (memory).", labels=["node", "storage"])
        info.add_metric([self.node, self.storage], 1)
        yield info
        if self.active is None:
            return
        yield GaugeMetricFamily("appsuite_sessions_active_total", "Sessions known to this node's session storage.",
                                value=self.active)
        active = GaugeMetricFamily("ox_sessions_active", "Sessions known to this node's session storage.",
                                   labels=["node"])
        active.add_metric([self.node], self.active)
        yield active


def multiprocess_folder() -> str | None:
    """Where the workers of this node count, when it runs several (prometheus_client's multiprocess mode)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def label(value: str) -> str:
    """A label value of bounded length (requests name modules and actions; keep them tame)."""
    return value[:LABEL_LENGTH]
