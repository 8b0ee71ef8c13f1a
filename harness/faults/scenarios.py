"""The named failover scenarios: fault, how long it is held, and what users may suffer meanwhile.

Shared by the failover suite (on the reference topology) and `oxh drill` (on
a staging cluster). Expectations of the HA design: a balancer's loss costs at
most 4 s of failed probes; a middleware node's loss no failed user call after
one retry and no session; a database master's loss at most 10 s of failed
writes; no scenario loses an acknowledged write.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.faults.catalogue import Fault, Selector
from harness.faults.scenario import Thresholds


@dataclass(frozen=True)
class NamedScenario:
    fault: Fault
    hold: float
    thresholds: Thresholds


SCENARIOS: dict[str, NamedScenario] = {
    "balancer-vip-holder-killed": NamedScenario(
        Fault("kill", Selector("balancer", "vip_holder")), 6, Thresholds(max_probe_downtime=4.0, max_write_downtime=4.0)),
    "balancer-vip-holder-stopped": NamedScenario(
        Fault("stop", Selector("balancer", "vip_holder")), 6, Thresholds(max_probe_downtime=4.0, max_write_downtime=4.0)),
    "middleware-node-killed": NamedScenario(
        Fault("kill", Selector("middleware", "one")), 6, Thresholds(max_probe_downtime=4.0, max_write_downtime=0.0)),
    "middleware-node-cut-off": NamedScenario(
        Fault("isolate", Selector("middleware", "one")), 6, Thresholds(max_probe_downtime=4.0, max_write_downtime=0.0)),
    "database-write-master-killed": NamedScenario(
        Fault("kill", Selector("database", "write_master")), 8, Thresholds(max_probe_downtime=10.0, max_write_downtime=10.0)),
    "database-latency-200ms": NamedScenario(
        Fault("netem", Selector("database", "all"), delay_ms=200), 6, Thresholds(max_probe_downtime=4.0, max_write_downtime=4.0)),
    "filestore-restarted": NamedScenario(
        Fault("restart", Selector("filestore", "one")), 2, Thresholds(max_probe_downtime=4.0, max_write_downtime=4.0)),
}
