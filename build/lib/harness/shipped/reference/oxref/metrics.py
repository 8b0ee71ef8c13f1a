"""Prometheus metrics of a node (prometheus_client): HTTP API requests and latency, responses, backend
errors, sessions.

The names App Suite itself exposes come first (`appsuite_httpapi_requests_seconds` per module,
action and status; `appsuite_sessions_active_total`), so that a load generator's figures can be
cross-checked against them as against a real node; the `ox_*` names are this middleware's own.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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
        self.sessions_active = Gauge("appsuite_sessions_active_total", "Sessions known to this node's session storage.",
                                     registry=r)
        self.requests = Counter("ox_http_requests", "HTTP API requests by module, action and outcome (ok or error code).",
                                ["node", "module", "action", "status"], registry=r)
        self.latency = Histogram("ox_http_request_duration_seconds", "Latency of HTTP API requests.", ["node"],
                                 buckets=BUCKETS, registry=r)
        self.backend_errors = Counter("ox_backend_errors", "Failures of the database, IMAP/SMTP or filestore, by OX "
                                      "error code.", ["node", "code"], registry=r)
        self.responses = Counter("ox_http_responses", "HTTP responses by area (api, dav, soap, eas, health, ui) and "
                                 "status.", ["node", "area", "status"], registry=r)
        self.storage = Gauge("ox_sessions_storage_info", "Where this node keeps sessions: shared (configdb) or local "
                             "(memory).", ["node", "storage"], registry=r)
        self.ox_sessions = Gauge("ox_sessions_active", "Sessions known to this node's session storage.", ["node"],
                                 registry=r)

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
        self.storage.labels(self.node, storage).set(1)
        if active_sessions is not None:
            self.sessions_active.set(active_sessions)
            self.ox_sessions.labels(self.node).set(active_sessions)
        return generate_latest(self.registry).decode()


def label(value: str) -> str:
    """A label value of bounded length (requests name modules and actions; keep them tame)."""
    return value[:LABEL_LENGTH]
