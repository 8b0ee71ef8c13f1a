"""Checkers of a failover history and node selection, on hand-made histories."""

from __future__ import annotations

import pytest

from harness.checks.history import History, Operation, check_writes, failing_windows, longest_downtime, recovery_after
from harness.faults.catalogue import Fault, Selector, select
from harness.faults.scenario import ScenarioResult, Thresholds, judge


def history(*ops: tuple) -> History:
    h = History()
    for kind, user, start, end, outcome, value in ops:
        h.add(Operation(kind, user, start, end, outcome, value=value))
    return h


def test_downtime_is_the_longest_window_of_failures():
    h = history(
        ("probe", "p", 0.0, 0.1, "ok", None), ("probe", "p", 1.0, 1.5, "fail", None),
        ("probe", "p", 1.6, 3.0, "unknown", None), ("probe", "p", 3.1, 3.2, "ok", None),
        ("probe", "p", 4.0, 4.2, "fail", None), ("probe", "p", 4.3, 4.4, "ok", None),
    )
    assert [round(w.seconds, 1) for w in failing_windows(h.of("probe"))] == [2.0, 0.2]
    assert longest_downtime(h, "probe") == pytest.approx(2.0)
    assert longest_downtime(h, "write") == 0.0


def test_recovery_counts_from_the_heal_to_the_first_lasting_success():
    h = history(("probe", "p", 0, 1, "fail", None), ("probe", "p", 5, 6, "fail", None), ("probe", "p", 7, 7.5, "ok", None))
    assert recovery_after(h, "probe", healed_at=4.0) == pytest.approx(3.5)
    assert recovery_after(history(("probe", "p", 0, 1, "fail", None)), "probe", 0.5) is None


def test_lost_and_unexpected_writes():
    h = history(
        ("write", "user0", 0, 1, "ok", "oxh-t1-user0-1"),
        ("write", "user0", 1, 2, "ok", "oxh-t1-user0-2"),
        ("write", "user0", 2, 3, "unknown", "oxh-t1-user0-3"),
        ("write", "user0", 3, 4, "fail", "oxh-t1-user0-4"),
    )
    final = {"user0": {"oxh-t1-user0-1", "oxh-t1-user0-3", "oxh-t1-user0-9", "oxh-t0-user0-7"}}
    result = check_writes(h, final, tag="t1")
    assert result.lost == ["oxh-t1-user0-2"]
    assert result.unexpected == ["oxh-t1-user0-9"]  # another run's value (t0) is not this run's business
    assert (result.acknowledged, result.unknown) == (2, 1)


@pytest.mark.parametrize("pick, expected", [
    ("one", ["ox-1"]), ("two", ["ox-1", "ox-2"]), ("minority", ["ox-1"]), ("all", ["ox-1", "ox-2", "ox-3"]),
])
def test_selectors_pick_nodes(pick, expected):
    assert select(Selector("middleware", pick), ["ox-1", "ox-2", "ox-3"]) == expected


def test_the_vip_holder_and_named_nodes_are_selected_as_asked():
    assert select(Selector("balancer", "vip_holder"), ["lb-1", "lb-2"], vip_holder="lb-2") == ["lb-2"]
    assert select(Selector("database", "named", ("db-2",)), ["db-1", "db-2"]) == ["db-2"]
    with pytest.raises(ValueError, match="not database nodes: db-9"):
        select(Selector("database", "named", ("db-9",)), ["db-1", "db-2"])
    with pytest.raises(ValueError, match="holds the VIP"):
        select(Selector("balancer", "vip_holder"), ["lb-1"], vip_holder=None)


def test_a_scenario_names_every_threshold_it_broke():
    result = ScenarioResult(
        name="x", fault=Fault("kill", Selector("balancer", "vip_holder")).describe(), nodes=["lb-1"],
        injected_at=0, healed_at=5, probe_downtime=6.5, write_downtime=1.0, recovery=None, acknowledged_writes=10,
        unknown_writes=0, lost_writes=["v1"], unexpected_values=[], lost_sessions=3, thresholds=Thresholds(),
    )
    violations = judge(result)
    assert any("probe failed for 6.5 s (limit 4 s)" in v for v in violations)
    assert any("1 acknowledged write(s) lost" in v for v in violations)
    assert any("SES-0203" in v for v in violations)
    assert any("never succeeded again" in v for v in violations)
    assert result.fault == "kill the balancer holding the VIP"
