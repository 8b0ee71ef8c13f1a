"""Checks of the cluster itself around a fault: nothing left broken, replication converged.

`cluster_checks(access, masters)` composes the ClusterChecks every fault is
framed by: every node healthy, each VIP on exactly one node, the masters
replicating both ways and holding equal tables. Each returns the problems it
finds as sentences a person can act on (an empty list when all is well): a
node that does not answer, a VIP held by no node or by two, a replication
thread stopped or failing with duplicate keys, masters that do not catch up
with each other, tables whose checksums differ between them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from harness.backends.access import NodeAccess
from harness.checks.checker import ClusterCheck
from harness.clients.mysql import (MySQLEndpoint, ReplicaState, gtid_positions, idle_transactions, replica_state,
                                   table_checksums, user_schemas)
from harness.wait import WaitTimeout, last_value, wait_for

CATCH_UP_SECONDS = 30.0
HEALTHY_WITHIN = 120.0


@dataclass(frozen=True)
class NodesHealthy:
    access: NodeAccess
    name: str = "every node healthy"

    def problems(self) -> list[str]:
        return [f"{node} is {health}" for node, health in self.access.health().items() if health != "healthy"]


@dataclass(frozen=True)
class VipsHeldOnce:
    access: NodeAccess
    name: str = "each VIP on exactly one node"

    def problems(self) -> list[str]:
        return vip_problems(self.access.vip_holders(), self.access.layout.vip_roles())


@dataclass(frozen=True)
class MastersConverged:
    masters: tuple[MySQLEndpoint, ...]
    timeout: float = CATCH_UP_SECONDS
    name: str = "masters replicating and equal"

    def problems(self) -> list[str]:
        return replication_converged(list(self.masters), self.timeout)


def cluster_checks(access: NodeAccess | None, masters: list[MySQLEndpoint]) -> list[ClusterCheck]:
    """The checks of a cluster that the target lets the harness make."""
    checks: list[ClusterCheck] = [NodesHealthy(access), VipsHeldOnce(access)] if access is not None else []
    return checks + [MastersConverged(tuple(masters))]


def wait_until_healthy(access: NodeAccess, nodes: list[str], timeout: float = HEALTHY_WITHIN) -> float:
    """Wait until every one of `nodes` reports healthy; the seconds it took. TimeoutError names the others."""
    started = time.monotonic()

    def unhealthy() -> dict[str, str]:
        health = access.health()
        return {node: health.get(node, "missing") for node in nodes if health.get(node) != "healthy"}

    try:
        wait_for(lambda: not unhealthy(), timeout=timeout, waiting_for=f"{', '.join(nodes)} healthy")
    except WaitTimeout:
        still = unhealthy()
        raise TimeoutError("not healthy after %.0f s: %s" % (timeout, "; ".join(f"{n} {h}" for n, h in still.items()))) \
            from None
    return time.monotonic() - started


def vip_problems(holders: dict[str, list[str]], vips: dict[str, str]) -> list[str]:
    """`vips`: address -> what it is for; `holders`: address -> nodes that hold it now."""
    problems = []
    for address, purpose in vips.items():
        nodes = holders.get(address, [])
        if not nodes:
            problems.append(f"the {purpose} VIP {address} is held by no node")
        elif len(nodes) > 1:
            problems.append(f"the {purpose} VIP {address} is held by {len(nodes)} nodes at once ({', '.join(nodes)}): "
                            "split brain, each node believes it is the VRRP master")
    return problems


def replication_problems(states: list[ReplicaState]) -> list[str]:
    problems = []
    for state in states:
        if not state.running:
            stopped = [name for name, running in (("IO", state.io_running), ("SQL", state.sql_running)) if not running]
            problem = f"{state.node}: replication {' and '.join(stopped)} thread stopped"
            error = state.last_sql_error if not state.sql_running and state.last_sql_error else state.last_error
            problems.append(problem + (f" ({error})" if error else ""))
        elif state.last_error:
            problems.append(f"{state.node}: replication reports {state.last_error}")
        if "Duplicate entry" in state.last_sql_error or "Duplicate entry" in state.last_error:
            problems.append(f"{state.node}: duplicate keys written on both masters")
    return problems


def marker_problems(held: dict[str, set[str] | None], markers: list[str]) -> list[str]:
    """After the heal every database node must hold every marker written on either side during the fault."""
    problems = []
    for node, rows in held.items():
        if rows is None:
            problems.append(f"cannot read the rows written during the fault on {node}")
            continue
        missing = [marker for marker in markers if marker not in rows]
        if missing:
            problems.append(f"{node} lacks the row(s) written on the other side during the fault: {', '.join(missing)}")
    return problems


def separated(held: dict[str, set[str] | None], markers: list[str]) -> bool:
    """Whether, while the fault held, some node lacked a marker written on another (the partition was real)."""
    return all(rows is not None for rows in held.values()) and any(set(markers) - rows for rows in held.values())


def checksum_problems(sums: dict[str, dict[str, int | None]]) -> list[str]:
    """`sums`: node -> {table: checksum}; every table must have one checksum on all nodes."""
    nodes = list(sums)
    tables = sorted({table for node in nodes for table in sums[node]})
    differing = [table for table in tables if len({sums[node].get(table) for node in nodes}) > 1]
    if not differing:
        return []
    shown = ", ".join(differing[:8]) + (f" and {len(differing) - 8} more" if len(differing) > 8 else "")
    return [f"tables differ between {' and '.join(nodes)}: {shown}"]


def replication_converged(masters: list[MySQLEndpoint], timeout: float = CATCH_UP_SECONDS,
                          sleep: Callable[[float], None] = time.sleep) -> list[str]:
    """Wait until the masters have applied each other's transactions and hold equal tables.

    Checksums are read one master after the other, so a write landing in
    between makes them differ for a moment: they are compared again until
    they agree or the time is up (at once when an SQL thread has stopped).
    """
    if len(masters) < 2:
        return []
    return last_value(lambda: _convergence_problems(masters),
                      lambda problems: not problems or any("SQL thread stopped" in p for p in problems),
                      timeout=timeout, interval=1.0, sleep=sleep)


def _convergence_problems(masters: list[MySQLEndpoint]) -> list[str]:
    try:
        states = [replica_state(master) for master in masters]
        problems = replication_problems(states)
        if problems:
            return problems
        positions = [gtid_positions(state.gtid_current) for state in states]
        if any(position != positions[0] for position in positions):
            stuck = [sentence for master in masters for sentence in idle_transactions(master)]
            return ["masters have not caught up with each other: " +
                    "; ".join(f"{state.node} at GTID {state.gtid_current}" for state in states) +
                    "".join(f"; {sentence}" for sentence in stuck)]
        schemas = user_schemas(masters[0])
        return checksum_problems({master.name: table_checksums(master, schemas) for master in masters})
    except Exception as exc:  # pymysql raises several unrelated classes for an unreachable server
        return [f"cannot read the masters' state: {exc}"]
