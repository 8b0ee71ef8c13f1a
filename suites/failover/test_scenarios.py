"""Failover scenarios (harness/faults/scenarios.py): a fault on one component while users work.

Each scenario injects its fault, holds it, heals it, and checks the recorded
history against its thresholds (a target file may set its own under
`failover_thresholds`): the longest probe and write outage,
acknowledged writes lost, values read that were never written, sessions
lost, and that the cluster recovers.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.faults.scenario import run_scenario
from harness.faults.scenarios import SCENARIOS


@pytest.mark.parametrize("name", list(SCENARIOS), ids=list(SCENARIOS))
def test_scenario(name, fault_driver, failover_accounts, target, failover_results):
    scenario = SCENARIOS[name]
    fault, hold = scenario.fault, scenario.hold
    thresholds = replace(scenario.thresholds, **target.thresholds.get(name, {}))
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
