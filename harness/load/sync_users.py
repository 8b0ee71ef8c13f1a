"""Sync clients working while faults are injected: each puts events into its calendar over CalDAV through the
sync pool and lists the calendar, as a phone syncing does, every operation recorded like a browser user's.

A sync client retries a failed request once, as calendar apps do. A PUT answered 201/204 is an acknowledged
change (its UID is the value the checkers look for after the heal); no answer, or a 5xx that may come from
the node after it wrote, leaves the outcome unknown. After the heal, `final_events` lists every client's
calendar through the member the workload names for reading (another than the one the fault hit).
"""

from __future__ import annotations

import time

import httpx

from harness.checks.history import Operation
from harness.clients.dav import DavClient, calendar_of, event_uids, vevent
from harness.load.events import WorkloadEvents

__all__ = ["SyncUser"]

CALL_TIMEOUT = 8.0
ACKNOWLEDGED = (200, 201, 204)


class SyncUser:
    """One calendar app of one account, pinned to a sync pool member's route."""

    def __init__(self, name: str, login: str, password: str, base_url: str, verify: bool | str,
                 events: WorkloadEvents, route: str | None = None):
        self.name, self.login, self.password = name, login, password
        self.base_url, self.verify, self.route = base_url, verify, route
        self.events = events
        self.client = self._client(route)
        self.calendar: str | None = None

    def _client(self, route: str | None) -> DavClient:
        return DavClient(self.base_url, self.login, self.password, route=route, verify=self.verify,
                         timeout=CALL_TIMEOUT)

    def start(self) -> None:
        self.calendar = calendar_of(self.client)

    def put_event(self, uid: str) -> None:
        path = f"{self.calendar}{uid}.ics"
        body = vevent(uid, f"Written while a fault is injected ({uid})", "20300101T090000Z", "20300101T100000Z")
        self._call("davwrite", lambda: self.client.request(
            "PUT", path, body=body.encode(), headers={"Content-Type": "text/calendar; charset=utf-8"}), uid)

    def list_calendar(self) -> None:
        self._call("davread", lambda: self.client.request("PROPFIND", self.calendar, depth="1"))

    def _call(self, kind: str, request, value: str | None = None, retries: int = 1) -> None:
        start = time.monotonic()
        outcome, detail = "fail", ""
        for attempt in range(retries + 1):
            try:
                answer = request()
            except httpx.HTTPError as exc:
                outcome, detail = "unknown", type(exc).__name__
            else:
                if answer.status_code in ACKNOWLEDGED or answer.status_code == 207:
                    outcome, detail = "ok", ""
                    break
                # A 5xx may come from the node after it wrote (or from the balancer before): unknown.
                outcome = "unknown" if answer.status_code >= 500 else "fail"
                detail = f"HTTP {answer.status_code}"
            if attempt < retries:
                time.sleep(0.1)
        self.events.operation.fire(operation=Operation(kind, self.name, start, time.monotonic(), outcome,
                                                       self.client.answered_by, value, detail))

    def final_events(self, route: str | None) -> set[str]:
        """The UIDs the calendar lists, read in a fresh client pinned to `route`."""
        with self._client(route) as reader:
            return event_uids(reader, self.calendar or calendar_of(reader))

    def close(self) -> None:
        self.client.close()
