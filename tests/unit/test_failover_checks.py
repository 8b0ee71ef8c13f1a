"""Checkers of a failover history and node selection, on hand-made histories."""

from __future__ import annotations

import pytest

from harness.checks.cluster_state import (checksum_problems, marker_problems, replication_problems, separated,
                                          vip_problems)
from harness.checks.history import History, Operation, check_writes, failing_windows, longest_downtime, recovery_after
from harness.faults.catalogue import Selector, select
from harness.clients.mysql import ReplicaState
from harness.checks.checker import RecordedRun, judge
from harness.checks.limits import checkers_for
from harness.scenario.named import Thresholds


def history(*ops: tuple) -> History:
    h = History()
    for kind, user, start, end, outcome, value in ops:
        h.record(Operation(kind, user, start, end, outcome, value=value))
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


def test_downtime_is_per_user_so_others_succeeding_do_not_hide_a_stuck_user():
    h = history(
        ("write", "user0", 0.0, 1.0, "fail", None), ("write", "user1", 1.0, 1.1, "ok", None),
        ("write", "user0", 1.2, 5.0, "fail", None), ("write", "user1", 2.0, 2.1, "ok", None),
        ("write", "user0", 5.1, 5.2, "ok", None),
    )
    assert longest_downtime(h, "write") == pytest.approx(5.0)


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


def problems(thresholds: Thresholds, run: RecordedRun) -> list[str]:
    return [finding.problem for finding in judge(checkers_for(thresholds), run) if not finding.ok]


def test_each_checker_names_the_threshold_it_broke():
    h = history(
        ("probe", "probe", 0.0, 6.5, "fail", None),  # never answers again after the heal at 5
        ("write", "user0", 0.0, 1.0, "ok", "oxh-t1-user0-1"), ("write", "user0", 1.0, 2.0, "ok", "oxh-t1-user0-2"),
        ("mail", "user0", 0.0, 5.0, "fail", None), ("mail", "user0", 5.0, 5.5, "ok", "oxh-t1-user0-3"),
        ("read", "user0", 2.0, 2.5, "fail", None),
    )
    h.record(Operation("read", "user0", 3.0, 3.5, "ok", detail="SES-0203 then ok"))
    run = RecordedRun(h, "t1", injected_at=0.0, healed_at=5.0, final_values={"user0": {"oxh-t1-user0-1",
                      "oxh-t1-user0-9"}}, final_mail={"user0": set()})
    found = problems(Thresholds(), run)
    assert "probe failed for 6.5 s (limit 4 s)" in found
    assert "mail failed for 5.0 s (limit 4 s)" in found
    assert "1 of 2 acknowledged writes lost: ['oxh-t1-user0-2']" in found
    assert "1 of 1 sent mails never arrived: ['oxh-t1-user0-3']" in found
    assert "values read that were never written: ['oxh-t1-user0-9']" in found
    assert "1 of 6 calls answered SES-0203 (sessions lost)" in found
    assert "the probe never succeeded again after the heal" in found
    assert len(found) == 7  # writes never failed


def test_an_outage_without_a_limit_is_measured_but_not_judged():
    h = history(("probe", "probe", 0, 0.2, "ok", None), ("mail", "user0", 0, 9.0, "fail", None),
                ("mail", "user0", 9.0, 9.5, "ok", "oxh-t1-user0-1"), ("probe", "probe", 26.0, 26.1, "ok", None))
    h.record(Operation("probe", "probe", 6.0, 7.0, "fail"))
    run = RecordedRun(h, "t1", 0.0, 6.0, {"user0": set()}, {"user0": {"oxh-t1-user0-1"}})
    findings = {f.name: f for f in judge(checkers_for(Thresholds(max_mail_downtime=None, max_recovery=15)), run)}
    assert findings["mail downtime"].ok and findings["mail downtime"].value == 9.0
    assert findings["recovery"].value == 20.1 and not findings["recovery"].ok
    assert findings["recovery"].problem == "the probe recovered 20.1 s after the heal (limit 15 s)"


def test_a_vip_on_two_nodes_or_none_is_a_problem():
    vips = {"10.0.0.10": "balancer", "10.0.0.20": "database write"}
    assert vip_problems({"10.0.0.10": ["lb-1"], "10.0.0.20": ["db-1"]}, vips) == []
    problems = vip_problems({"10.0.0.10": ["lb-1", "lb-2"]}, vips)
    assert "held by 2 nodes at once (lb-1, lb-2): split brain" in problems[0]
    assert problems[1] == "the database write VIP 10.0.0.20 is held by no node"


def replica(node: str, io: bool = True, sql: bool = True, error: str = "", sql_error: str = "") -> ReplicaState:
    return ReplicaState(node, io, sql, 0, "peer", error, "1-1-5", 1, 2, 1, sql_error)


def test_stopped_or_failing_replication_is_named():
    assert replication_problems([replica("db-1"), replica("db-2")]) == []
    problems = replication_problems([replica("db-1", sql=False, error="error reconnecting to master",
                                             sql_error="Duplicate entry '7' for key 'PRIMARY'"),
                                     replica("db-2", io=False)])
    assert problems == ["db-1: replication SQL thread stopped (Duplicate entry '7' for key 'PRIMARY')",
                        "db-1: duplicate keys written on both masters", "db-2: replication IO thread stopped"]


def test_rows_written_on_each_side_must_be_everywhere_after_the_heal():
    markers = ["t-db-1", "t-db-2"]
    assert separated({"db-1": {"t-db-1"}, "db-2": {"t-db-2"}}, markers)
    assert not separated({"db-1": set(markers), "db-2": set(markers)}, markers)  # replication went on: no partition
    assert not separated({"db-1": {"t-db-1"}, "db-2": None}, markers)  # unreadable is not proof of a partition
    assert marker_problems({"db-1": set(markers), "db-2": set(markers)}, markers) == []
    assert marker_problems({"db-1": set(markers), "db-2": {"t-db-2"}, "db-3": None}, markers) == [
        "db-2 lacks the row(s) written on the other side during the fault: t-db-1",
        "cannot read the rows written during the fault on db-3"]


def test_tables_whose_checksums_differ_are_named():
    same = {"configdb.context": 11, "oxdb_5.contacts": 22}
    assert checksum_problems({"db-1": same, "db-2": dict(same)}) == []
    assert checksum_problems({"db-1": same, "db-2": {"configdb.context": 11, "oxdb_5.contacts": 23}}) == [
        "tables differ between db-1 and db-2: oxdb_5.contacts"]
    assert checksum_problems({"db-1": same, "db-2": {"configdb.context": 11}}) == [
        "tables differ between db-1 and db-2: oxdb_5.contacts"]


def test_a_lost_mail_is_an_acknowledged_send_missing_from_the_inbox():
    h = history(("mail", "user0", 0, 1, "ok", "oxh-t1-user0-1"), ("mail", "user0", 1, 2, "ok", "oxh-t1-user0-6"),
                ("write", "user0", 0, 1, "ok", "oxh-t1-user0-2"))
    result = check_writes(h, {"user0": {"oxh-t1-user0-1"}}, tag="t1", kind="mail")
    assert (result.lost, result.acknowledged) == (["oxh-t1-user0-6"], 2)


def test_two_nodes_are_picked_so_that_the_spared_pool_keeps_a_member():
    pools = {"oxcluster": ["ox-1", "ox-2"], "oxcluster_sync": ["ox-3"]}
    selector = Selector("middleware", "two", spare="oxcluster")
    assert select(selector, ["ox-1", "ox-2", "ox-3"], pools=pools) == ["ox-1", "ox-3"]
    with pytest.raises(ValueError, match="pool oxcluster keeps a member"):
        select(selector, ["ox-1", "ox-2"], pools={"oxcluster": ["ox-1", "ox-2"]})
    with pytest.raises(ValueError, match="which middleware nodes serve pool oxcluster is not known"):
        select(selector, ["ox-1", "ox-2", "ox-3"])


def test_a_node_is_picked_among_the_members_of_its_pool():
    pools = {"oxcluster": ["ox-1", "ox-2"], "oxcluster_sync": ["ox-2", "ox-3"]}
    selector = Selector("middleware", "one", pool="oxcluster_sync")
    assert select(selector, ["ox-1", "ox-2", "ox-3"], pools=pools) == ["ox-2"]
    assert selector.describe() == "one middleware node of oxcluster_sync"
    with pytest.raises(ValueError, match="pool oxcluster_sync has no middleware member"):
        select(selector, ["ox-1"], pools={"oxcluster_sync": ["ox-3"]})
    with pytest.raises(ValueError, match="which middleware nodes serve pool oxcluster_sync is not known"):
        select(selector, ["ox-1", "ox-2", "ox-3"])


def test_uploads_are_judged_like_writes_and_a_promised_operation_must_happen_during_the_fault():
    from harness.checks.limits import ExercisedDuringFault, LostWrites

    h = history(("upload", "user0", 1.0, 1.5, "ok", "oxh-t1-user0-0.bin"), ("upload", "user0", 2.0, 2.5, "ok",
                                                                           "oxh-t1-user0-5.bin"),
                ("mailread", "user0", 8.0, 8.2, "ok", None))
    run = RecordedRun(h, "t1", injected_at=1.0, healed_at=6.0, final_uploads={"user0": {"oxh-t1-user0-0.bin"}})
    lost = LostWrites(0, kind="upload").check(run)
    assert not lost.ok and lost.problem == "1 of 2 acknowledged uploads lost or changed: ['oxh-t1-user0-5.bin']"
    assert ExercisedDuringFault("upload", "uploads").check(run).ok
    reads = ExercisedDuringFault("mailread", "mail reads").check(run)  # the only read came after the heal
    assert not reads.ok and reads.problem.startswith("no mail reads were made while the fault held")


def test_calendar_apps_are_judged_like_browser_users_where_a_scenario_has_them():
    from harness.checks.limits import checkers_for
    from harness.scenario.named import NO_USER_VISIBLE_ERROR

    h = history(("davwrite", "sync0", 1.0, 1.2, "ok", "oxh-t1-sync0-0"), ("davwrite", "sync0", 2.0, 2.2, "ok",
                                                                         "oxh-t1-sync0-3"),
                ("davwrite", "sync0", 3.0, 3.5, "fail", "oxh-t1-sync0-6"), ("davwrite", "sync0", 4.0, 4.1, "ok",
                                                                           "oxh-t1-sync0-9"),
                ("probe", "probe", 7.0, 7.1, "ok", None))
    run = RecordedRun(h, "t1", injected_at=1.5, healed_at=6.0,
                      final_sync={"sync0": {"oxh-t1-sync0-0", "oxh-t1-sync0-9", "oxh-t1-sync0-77"}})
    findings = {f.name: f for f in judge(checkers_for(NO_USER_VISIBLE_ERROR, ("davwrite",)), run)}
    assert findings["lost DAV changes"].problem == ("1 of 3 acknowledged CalDAV changes missing from the calendar: "
                                                    "['oxh-t1-sync0-3']")
    assert not findings["DAV writes downtime"].ok and findings["DAV writes downtime"].value == 0.5
    assert findings["DAV writes during the fault"].ok
    assert findings["invented values"].details == ["oxh-t1-sync0-77"]
    # A scenario without calendar apps is not judged on them.
    assert not any("DAV" in f.name for f in judge(checkers_for(NO_USER_VISIBLE_ERROR), run))
