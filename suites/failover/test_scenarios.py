"""Failover scenarios: a fault on one component while users work, judged by downtime and lost data.

Each scenario injects its fault, holds it, heals it, and checks the recorded
history against thresholds: the longest probe and write outage, acknowledged
writes lost, values read that were never written, sessions lost, and that the
cluster recovers. Expectations of the reference topology: a balancer's loss
costs at most 4 s of failed probes; a middleware node's loss no failed user
call after one retry and no session; a database master's loss at most 10 s
of failed writes; no scenario loses an acknowledged write.
"""

from __future__ import annotations

import pytest

from harness.faults.catalogue import Fault, Selector
from harness.faults.scenario import Thresholds, run_scenario

SCENARIOS = {
    "balancer-vip-holder-killed": (Fault("kill", Selector("balancer", "vip_holder")), 6,
                                   Thresholds(max_probe_downtime=4.0, max_write_downtime=4.0)),
    "balancer-vip-holder-stopped": (Fault("stop", Selector("balancer", "vip_holder")), 6,
                                    Thresholds(max_probe_downtime=4.0, max_write_downtime=4.0)),
    "middleware-node-killed": (Fault("kill", Selector("middleware", "one")), 6,
                               Thresholds(max_probe_downtime=4.0, max_write_downtime=0.0)),
    "middleware-node-cut-off": (Fault("isolate", Selector("middleware", "one")), 6,
                                Thresholds(max_probe_downtime=4.0, max_write_downtime=0.0)),
    "database-write-master-killed": (Fault("kill", Selector("database", "write_master")), 8,
                                     Thresholds(max_probe_downtime=10.0, max_write_downtime=10.0)),
    "database-latency-200ms": (Fault("netem", Selector("database", "all"), delay_ms=200), 6,
                               Thresholds(max_probe_downtime=4.0, max_write_downtime=4.0)),
    "filestore-restarted": (Fault("restart", Selector("filestore", "one")), 2,
                            Thresholds(max_probe_downtime=4.0, max_write_downtime=4.0)),
}


@pytest.mark.parametrize("name", list(SCENARIOS), ids=list(SCENARIOS))
def test_scenario(name, fault_driver, failover_accounts, target, failover_results):
    fault, hold, thresholds = SCENARIOS[name]
    reason = fault_driver.unsupported(fault)
    if reason:
        pytest.skip(reason)
    result = run_scenario(name, fault, fault_driver, target.http_url, failover_accounts, hold=hold,
                          thresholds=thresholds, verify=target.tls)
    failover_results(result)
    summary = (f"{result.fault} on {', '.join(result.nodes)}: probe down {result.probe_downtime:.1f} s, "
               f"writes down {result.write_downtime:.1f} s, {result.acknowledged_writes} writes acknowledged, "
               f"{result.unknown_writes} unknown, {len(result.lost_writes)} lost")
    assert result.passed, summary + "\n" + "\n".join(result.violations)
