"""The MySQL master-master pair: replication both ways, GTID, auto_increment, equal schemas, tables and
rows, checksums, binlogs, and the write VIP on the master the design prefers."""

from __future__ import annotations

import pytest

from harness.checks.backup import RestoreFailed, point_in_time_restore
from harness.clients.mysql import (checksum_differences, checksums_agree, gtid_positions, inventory, replica_state,
                                   server_identity, table_checksums)
from harness.wait import last_value

requirement = pytest.mark.requirement
MAX_LAG_SECONDS = 10
CONVERGE_WITHIN = 15.0


@pytest.fixture(scope="module")
def masters(endpoints):
    if len(endpoints.databases) < 2:
        pytest.skip(f"the target lists {len(endpoints.databases)} database account(s); the master-master pair needs 2")
    return endpoints.databases


def all_equal(readings: list) -> bool:
    return all(reading == readings[0] for reading in readings)


@requirement("DB-REPL")
def test_replication_runs_in_both_directions(masters):
    """Each master replicates from the other: both threads run, no error, lag reported and small."""
    states = [replica_state(db) for db in masters]
    for state in states:
        assert state.io_running and state.sql_running, f"{state.node}: replication stopped ({state.last_error or 'no error'})"
        assert state.seconds_behind is not None and state.seconds_behind <= MAX_LAG_SECONDS, f"{state.node}: lag {state.seconds_behind}"
    peers = {state.node: state.master_host for state in states}
    assert len(set(peers.values())) == len(masters), f"both masters follow the same host: {peers}"


@requirement("DB-GTID")
def test_gtid_positions_converge_after_a_write(masters, login):
    """A write through the groupware moves the GTID position, and both masters reach the same one."""
    before = gtid_positions(replica_state(masters[0]).gtid_current)
    _, session = login("alice")
    folder = str(session.get("config/folder/contacts"))
    created = session.put("contacts", "new", {"folder_id": folder, "display_name": "GTID probe"})
    positions = last_value(lambda: [gtid_positions(replica_state(db).gtid_current) for db in masters],
                           lambda found: all_equal(found) and found[0] != before, timeout=CONVERGE_WITHIN)
    session.put("contacts", "delete", [{"id": created["id"], "folder": folder}], timestamp=2**62)
    assert positions[0] != before, f"the write did not move the GTID position of {masters[0].name}: {before}"
    assert all_equal(positions), "GTID positions differ after the write: " + "; ".join(
        f"{db.name} {position}" for db, position in zip(masters, positions))


@requirement("DB-AUTOINC")
def test_auto_increment_offsets_are_distinct(masters):
    """Masters use the same increment and distinct offsets, so their keys never collide."""
    states = [replica_state(db) for db in masters]
    assert {s.auto_increment_increment for s in states} == {len(masters)}
    assert len({s.auto_increment_offset for s in states}) == len(masters)
    assert len({s.server_id for s in states}) == len(masters)


@requirement("DB-CHECKSUM")
def test_table_checksums_are_equal_on_both_masters(masters, test_context):
    """configdb and the run's context schema hold the same tables with equal checksums on every master; a table
    on one master only, or one whose checksum a master cannot give, is a difference."""
    with masters[0].connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT db_schema FROM configdb.context_server2db_pool WHERE cid = %s", (test_context.cid,))
        schemas = ["configdb", cursor.fetchone()["db_schema"]]
    sums = last_value(lambda: [table_checksums(db, schemas) for db in masters], checksums_agree, timeout=CONVERGE_WITHIN)
    problems = checksum_differences({db.name: found for db, found in zip(masters, sums)})
    assert all(sums) and not problems, "\n".join(problems) or f"no tables found in {', '.join(schemas)}"


@requirement("DB-SCHEMAS")
def test_both_masters_hold_the_same_schemas_tables_and_rows(masters):
    """Every schema and table of one master exists on the other, with the same number of rows."""
    found = last_value(lambda: [inventory(db) for db in masters], all_equal, timeout=CONVERGE_WITHIN)
    first, problems = masters[0].name, []
    for db, tables in zip(masters[1:], found[1:]):
        only_first = sorted(set(found[0]) - set(tables))
        only_other = sorted(set(tables) - set(found[0]))
        if only_first:
            problems.append(f"only on {first}: {', '.join(only_first[:8])}")
        if only_other:
            problems.append(f"only on {db.name}: {', '.join(only_other[:8])}")
        rows = [f"{table} {found[0][table]} on {first}, {tables[table]} on {db.name}"
                for table in sorted(set(found[0]) & set(tables)) if found[0][table] != tables[table]]
        if rows:
            problems.append("row counts differ: " + "; ".join(rows[:8]))
    assert not problems, "\n".join(problems)


@requirement("BACKUP")
def test_a_master_can_be_restored_to_a_point_in_time(node_access, layout):
    """On every master: a dump with its binary log position, rows written after it, a moment, rows after the
    moment; the dump restored into a scratch schema and the binary log replayed to the moment holds exactly
    the rows written before it."""
    problems = []
    for node in layout.names("database"):
        try:
            problems += point_in_time_restore(node_access, node).problems()
        except RestoreFailed as exc:
            problems.append(str(exc))
    assert not problems, "\n".join(problems)


@requirement("VIP-DB-PREFERRED")
def test_the_write_vip_sits_on_the_preferred_master(target, endpoints, masters):
    """The write address leads to the master the design prefers, so reads and writes are spread."""
    if endpoints.database_write is None:
        pytest.skip("the target names no database write address (database_write in the target file)")
    holder_id, holder_host = server_identity(endpoints.database_write)
    ids = {db.name: server_identity(db)[0] for db in masters}
    holder = next((name for name, server_id in ids.items() if server_id == holder_id), None)
    assert holder is not None, (f"the write address leads to server_id {holder_id} ({holder_host}), "
                                f"which is none of the masters {ids}")
    preferred = target.policy.preferred_write_master
    reader = target.layout.read_node if target.layout else None
    same = f"; the middleware reads from {reader} too, so reads and writes go to one node" if reader == holder else ""
    assert holder == preferred, f"the write VIP moved to {holder}; the design prefers {preferred}{same}"
