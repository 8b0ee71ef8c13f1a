"""The MySQL master-master pair: replication both ways, GTID, auto_increment, checksums, binlogs."""

from __future__ import annotations

import time

import pytest

from harness.clients.mysql import gtid_positions, replica_state, table_checksums

MAX_LAG_SECONDS = 10
CONVERGE_WITHIN = 15.0


@pytest.fixture(scope="module")
def masters(target):
    if len(target.databases) < 2:
        pytest.skip(f"target {target.name} lists {len(target.databases)} database account(s); the pair needs 2")
    return target.databases


def test_replication_runs_in_both_directions(masters):
    """Each master replicates from the other: both threads run, no error, lag reported and small."""
    states = [replica_state(db) for db in masters]
    for state in states:
        assert state.io_running and state.sql_running, f"{state.node}: replication stopped ({state.last_error or 'no error'})"
        assert state.seconds_behind is not None and state.seconds_behind <= MAX_LAG_SECONDS, f"{state.node}: lag {state.seconds_behind}"
    peers = {state.node: state.master_host for state in states}
    assert len(set(peers.values())) == len(masters), f"both masters follow the same host: {peers}"


def test_gtid_positions_converge(masters, login):
    """After a write, both masters reach the same GTID position in every domain."""
    _, session = login("alice")
    session.get("folders", "root", columns="1")
    deadline = time.monotonic() + CONVERGE_WITHIN
    while True:
        positions = [gtid_positions(replica_state(db).gtid_current) for db in masters]
        if all(p == positions[0] for p in positions) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert all(p == positions[0] for p in positions), f"GTID positions differ: {positions}"


def test_auto_increment_offsets_are_distinct(masters):
    """Masters use the same increment and distinct offsets, so their keys never collide."""
    states = [replica_state(db) for db in masters]
    assert {s.auto_increment_increment for s in states} == {len(masters)}
    assert len({s.auto_increment_offset for s in states}) == len(masters)
    assert len({s.server_id for s in states}) == len(masters)


def test_table_checksums_are_equal_on_both_masters(masters, test_context):
    """configdb and the run's context schema have equal checksums on both masters."""
    with masters[0].connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT db_schema FROM configdb.context_server2db_pool WHERE cid = %s", (test_context.cid,))
        schemas = ["configdb", cursor.fetchone()["db_schema"]]
    deadline = time.monotonic() + CONVERGE_WITHIN
    while True:
        sums = [table_checksums(db, schemas) for db in masters]
        if all(s == sums[0] for s in sums) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    differing = sorted(t for t in sums[0] if any(s.get(t) != sums[0][t] for s in sums[1:]))
    assert sums[0] and not differing, f"tables differ between masters: {differing}"


def test_binary_logs_with_gtid_allow_point_in_time_recovery(masters):
    """Every master writes a binary log with GTIDs, which point-in-time recovery needs."""
    for db in masters:
        with db.connect() as connection, connection.cursor() as cursor:
            cursor.execute("SELECT @@log_bin AS log_bin, @@binlog_format AS format, @@gtid_binlog_pos AS pos")
            row = cursor.fetchone()
        assert row["log_bin"] == 1 and row["format"] == "ROW" and row["pos"], f"{db.name}: {row}"
