"""A fault window: the fault injected on entry and healed on exit, whatever happened in between.

Used by failover scenarios (a workload runs around it) and by faults under
load (a Locust run goes on around it). It keeps when the fault was injected
and healed, and which nodes it hit.
"""

from __future__ import annotations

import time

from harness.faults.catalogue import Fault, Injected
from harness.faults.driver import FaultDriver


class FaultWindow:
    def __init__(self, driver: FaultDriver, fault: Fault):
        self.driver, self.fault = driver, fault
        self.injected: Injected | None = None
        self.injected_at: float | None = None
        self.healed_at: float | None = None

    def __enter__(self) -> "FaultWindow":
        self.injected_at = time.monotonic()
        self.injected = self.driver.inject(self.fault)
        return self

    def __exit__(self, *_: object) -> None:
        self.heal()

    def heal(self) -> None:
        """Heal now (once); later calls do nothing."""
        if self.injected is None or self.injected.healed:
            return
        self.healed_at = time.monotonic()
        self.driver.heal(self.injected)

    @property
    def nodes(self) -> list[str]:
        return self.injected.nodes if self.injected else []

    @property
    def heal_failures(self) -> list[str]:
        return self.injected.heal_failures if self.injected else []
