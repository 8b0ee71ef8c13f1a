"""Rows written straight onto each database master while a fault holds, and read back afterwards.

A split brain's writes land on both sides; after the heal every master must
hold every row. The rows are written as root on the node itself (through
node access, the Docker containers and SSH hosts alike), not through the
write VIP, so that each side gets its own.
"""

from __future__ import annotations

from harness.backends.access import NodeAccess, NodeUnreachable

TABLE = "oxh_drill.markers"


def write_markers(access: NodeAccess, nodes: list[str], tag: str) -> list[str]:
    """One row on each database node; the rows written."""
    written = []
    for node in nodes:
        marker = f"{tag}-{node}"
        sql = (f"CREATE DATABASE IF NOT EXISTS oxh_drill; CREATE TABLE IF NOT EXISTS {TABLE} "
               "(marker VARCHAR(64) PRIMARY KEY, written_on VARCHAR(64)) ENGINE=InnoDB; "
               f"INSERT INTO {TABLE} VALUES ('{marker}', '{node}')")
        result = access.exec(node, f'mariadb -e "{sql}"')
        if not result.ok:
            raise RuntimeError(f"{node}: cannot write a marker row: {result.output.strip()}")
        written.append(marker)
    return written


def read_markers(access: NodeAccess) -> dict[str, set[str] | None]:
    """Per database node, the markers it holds (None: they could not be read)."""
    held: dict[str, set[str] | None] = {}
    for node in access.layout.names("database"):
        try:
            result = access.exec(node, f'mariadb -N -e "SELECT marker FROM {TABLE}"')
        except NodeUnreachable:
            held[node] = None
            continue
        held[node] = set(result.output.split()) if result.ok else None
    return held
