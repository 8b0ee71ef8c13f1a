"""Failover scenarios (harness/scenario/named.py): a fault on one component while users work.

Each scenario checks the cluster, injects its fault, holds it, heals it, and
checks the recorded history against its thresholds (a target file may set
its own under `failover_thresholds`): the longest probe, write and mail
outage, acknowledged writes and sent mail lost, values read that were never
written, sessions lost, how fast the cluster recovers, and that nothing is
left broken (a node unhealthy, a VIP on two nodes or none, replication
stopped or diverged). Each scenario is its own requirement.
"""

from __future__ import annotations

import pytest

from harness.scenario.failover import run_scenario
from harness.scenario.named import SCENARIOS, thresholds_for

CASES = [pytest.param(name, id=name, marks=pytest.mark.requirement(scenario.requirement(name)))
         for name, scenario in SCENARIOS.items()]


@pytest.mark.parametrize("name", CASES)
def test_scenario(name, fault_driver, cluster_checks, failover_accounts, target, endpoints, failover_results):
    scenario = SCENARIOS[name]
    reason = fault_driver.unsupported(scenario.fault)
    if reason:
        pytest.skip(reason)
    policy = target.policy
    note = " ".join(filter(None, [scenario.why, policy.hung_member_note if scenario.fault.kind == "freeze" else ""]))
    result = run_scenario(name, scenario, fault_driver, cluster_checks, endpoints.http_url, failover_accounts,
                          thresholds=thresholds_for(name, policy.thresholds), verify=endpoints.tls, note=note)
    failover_results(result)
    assert result.passed, result.summary() + "\n" + "\n".join(result.violations)
