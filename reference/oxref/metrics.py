"""Prometheus metrics in the text exposition format: requests, latency, sessions, backend errors."""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self, node: str):
        self.node = node
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.bucket_counts = [0] * (len(BUCKETS) + 1)
        self.latency_sum = 0.0
        self.latency_count = 0
        self.backend_errors: dict[str, int] = defaultdict(int)
        self.responses: dict[tuple[str, int], int] = defaultdict(int)

    def observe(self, module: str, action: str, status: str, seconds: float) -> None:
        module, action, status = label(module), label(action), label(status)
        with self.lock:
            self.requests[(module, action, status)] += 1
            index = next((i for i, bound in enumerate(BUCKETS) if seconds <= bound), len(BUCKETS))
            self.bucket_counts[index] += 1
            self.latency_sum += seconds
            self.latency_count += 1

    def response(self, area: str, status: int) -> None:
        with self.lock:
            self.responses[(area, status)] += 1

    def backend_error(self, code: str) -> None:
        with self.lock:
            self.backend_errors[code] += 1

    def render(self, active_sessions: int | None, storage: str = "shared") -> str:
        lines = [
            "# HELP ox_http_requests_total HTTP API requests by module, action and outcome (ok or error code).",
            "# TYPE ox_http_requests_total counter",
        ]
        with self.lock:
            for (module, action, status), count in sorted(self.requests.items()):
                lines.append(
                    f'ox_http_requests_total{{node="{self.node}",module="{module}",action="{action}",status="{status}"}} {count}'
                )
            lines += [
                "# HELP ox_http_request_duration_seconds Latency of HTTP API requests.",
                "# TYPE ox_http_request_duration_seconds histogram",
            ]
            cumulative = 0
            for bound, count in zip((*BUCKETS, float("inf")), self.bucket_counts):
                cumulative += count
                label = "+Inf" if bound == float("inf") else repr(bound)
                lines.append(f'ox_http_request_duration_seconds_bucket{{node="{self.node}",le="{label}"}} {cumulative}')
            lines.append(f'ox_http_request_duration_seconds_sum{{node="{self.node}"}} {self.latency_sum:.6f}')
            lines.append(f'ox_http_request_duration_seconds_count{{node="{self.node}"}} {self.latency_count}')
            lines += [
                "# HELP ox_backend_errors_total Failures of the database, IMAP/SMTP or filestore, by OX error code.",
                "# TYPE ox_backend_errors_total counter",
            ]
            for code, count in sorted(self.backend_errors.items()):
                lines.append(f'ox_backend_errors_total{{node="{self.node}",code="{code}"}} {count}')
            lines += [
                "# HELP ox_http_responses_total HTTP responses by area (api, dav, soap, eas, health, ui) and status.",
                "# TYPE ox_http_responses_total counter",
            ]
            for (area, status), count in sorted(self.responses.items()):
                lines.append(f'ox_http_responses_total{{node="{self.node}",area="{area}",status="{status}"}} {count}')
        lines += [
            "# HELP ox_sessions_storage_info Where this node keeps sessions: shared (configdb) or local (memory).",
            "# TYPE ox_sessions_storage_info gauge",
            f'ox_sessions_storage_info{{node="{self.node}",storage="{storage}"}} 1',
        ]
        if active_sessions is not None:
            lines += [
                "# HELP ox_sessions_active Sessions known to this node's session storage.",
                "# TYPE ox_sessions_active gauge",
                f'ox_sessions_active{{node="{self.node}"}} {active_sessions}',
            ]
        return "\n".join(lines) + "\n"


def label(value: str) -> str:
    """A label value safe for the text format (requests name modules and actions; keep them tame)."""
    value = value[:64]
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
