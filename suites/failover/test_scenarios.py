"""Failover scenarios (harness/faults/scenarios.py): a fault on one component while users work.

Each scenario checks the cluster, injects its fault, holds it, heals it, and
checks the recorded history against its thresholds (a target file may set
its own under `failover_thresholds`): the longest probe, write and mail
outage, acknowledged writes and sent mail lost, values read that were never
written, sessions lost, how fast the cluster recovers, and that nothing is
left broken (a VIP on two nodes or none, replication stopped or diverged).
"""

from __future__ import annotations

import pytest

from harness.faults.scenario import run_scenario
from harness.faults.scenarios import SCENARIOS, thresholds_for


@pytest.mark.parametrize("name", list(SCENARIOS), ids=list(SCENARIOS))
def test_scenario(name, fault_driver, failover_accounts, target, failover_results):
    scenario = SCENARIOS[name]
    reason = fault_driver.unsupported(scenario.fault)
    if reason:
        pytest.skip(reason)
    result = run_scenario(name, scenario.fault, fault_driver, target.http_url, failover_accounts, hold=scenario.hold,
                          thresholds=thresholds_for(name, target.thresholds), verify=target.tls,
                          write_on_each_side=scenario.write_on_each_side, note=scenario.why)
    failover_results(result)
    summary = (f"{result.fault} on {', '.join(result.nodes)}: probe down {result.probe_downtime:.1f} s, "
               f"writes down {result.write_downtime:.1f} s, mail down {result.mail_downtime:.1f} s, "
               f"{result.acknowledged_writes} writes acknowledged, {result.unknown_writes} unknown, "
               f"{len(result.lost_writes)} lost, {len(result.lost_mail)} of {result.acknowledged_mail} mails lost")
    assert result.passed, summary + "\n" + "\n".join(result.violations)
