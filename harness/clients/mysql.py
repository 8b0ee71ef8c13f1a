"""MySQL/MariaDB access for checks: replication state, GTID positions, table checksums.

Read-only by design: the queries here are what an operator runs to see
whether a master-master pair is healthy, and work with an account that has
SELECT, SLAVE MONITOR and BINLOG MONITOR only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pymysql
import pymysql.cursors


@dataclass(frozen=True)
class MySQLEndpoint:
    name: str
    host: str
    port: int
    user: str
    password: str

    def connect(self, database: str | None = None, timeout: float = 5.0) -> pymysql.connections.Connection:
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            autocommit=True,
            connect_timeout=timeout,
            read_timeout=timeout * 2,
            write_timeout=timeout * 2,
            cursorclass=pymysql.cursors.DictCursor,
        )


@dataclass(frozen=True)
class ReplicaState:
    """One node's view of its replication from the peer."""

    node: str
    io_running: bool
    sql_running: bool
    seconds_behind: int | None
    master_host: str
    last_error: str
    gtid_current: str
    server_id: int
    auto_increment_increment: int
    auto_increment_offset: int
    last_sql_error: str = ""  # kept apart: a reconnecting IO thread's error must not hide it

    @property
    def running(self) -> bool:
        return self.io_running and self.sql_running


def replica_state(endpoint: MySQLEndpoint) -> ReplicaState:
    with endpoint.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SHOW SLAVE STATUS")
        status: dict[str, Any] = cursor.fetchone() or {}
        cursor.execute(
            "SELECT @@gtid_current_pos AS gtid, @@server_id AS server_id, "
            "@@auto_increment_increment AS inc, @@auto_increment_offset AS off"
        )
        variables = cursor.fetchone()
    return ReplicaState(
        node=endpoint.name,
        io_running=status.get("Slave_IO_Running") == "Yes",
        sql_running=status.get("Slave_SQL_Running") == "Yes",
        seconds_behind=status.get("Seconds_Behind_Master"),
        master_host=status.get("Master_Host", ""),
        last_error=status.get("Last_IO_Error") or status.get("Last_SQL_Error") or "",
        gtid_current=variables["gtid"],
        server_id=int(variables["server_id"]),
        auto_increment_increment=int(variables["inc"]),
        auto_increment_offset=int(variables["off"]),
        last_sql_error=status.get("Last_SQL_Error") or "",
    )


def gtid_positions(gtid: str) -> dict[int, int]:
    """'1-1-30,2-2-7' -> {domain: sequence}."""
    positions = {}
    for part in filter(None, (item.strip() for item in gtid.split(","))):
        domain, _, sequence = part.split("-")
        positions[int(domain)] = int(sequence)
    return positions


def table_checksums(endpoint: MySQLEndpoint, schemas: list[str]) -> dict[str, int | None]:
    """CHECKSUM TABLE for every base table of the given schemas: {'schema.table': checksum}."""
    result: dict[str, int | None] = {}
    with endpoint.connect() as connection, connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(
                "SELECT table_name AS t FROM information_schema.tables "
                "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
                (schema,),
            )
            tables = [row["t"] for row in cursor.fetchall()]
            for table in tables:
                cursor.execute(f"CHECKSUM TABLE `{schema}`.`{table}`")
                row = cursor.fetchone()
                result[f"{schema}.{table}"] = row["Checksum"] if row else None
    return result


def checksum_differences(found: dict[str, dict[str, int | None]]) -> list[str]:
    """Per table (of every master's list), what differs: a master without it, a master that gives no checksum
    for it (NULL: not comparable, so not equal), or checksums that differ. Pure: master name -> its checksums."""
    problems = []
    masters = list(found)
    for table in sorted(set().union(*found.values()) if found else ()):
        missing = [name for name in masters if table not in found[name]]
        unknown = [name for name in masters if table in found[name] and found[name][table] is None]
        values = {name: found[name][table] for name in masters if found[name].get(table) is not None}
        if missing:
            problems.append(f"{table}: only on {', '.join(n for n in masters if n not in missing)}, "
                            f"missing on {', '.join(missing)}")
        elif unknown:
            problems.append(f"{table}: no checksum on {', '.join(unknown)}, so it cannot be shown equal")
        elif len(set(values.values())) > 1:
            problems.append(f"{table}: checksums differ ({', '.join(f'{n} {v}' for n, v in values.items())})")
    return problems


def checksums_agree(readings: list[dict[str, int | None]]) -> bool:
    return not checksum_differences({str(index): found for index, found in enumerate(readings)})


SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")


def user_schemas(endpoint: MySQLEndpoint) -> list[str]:
    """Every schema but MariaDB's own: what the masters must hold identically."""
    with endpoint.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT schema_name AS s FROM information_schema.schemata ORDER BY schema_name")
        return [row["s"] for row in cursor.fetchall() if row["s"] not in SYSTEM_SCHEMAS]


def server_identity(endpoint: MySQLEndpoint) -> tuple[int, str]:
    """(server_id, hostname) of the server an address leads to: which master holds a VIP."""
    with endpoint.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT @@server_id AS id, @@hostname AS host")
        row = cursor.fetchone()
    return int(row["id"]), row["host"]


def inventory(endpoint: MySQLEndpoint) -> dict[str, int]:
    """Every base table of every schema but MariaDB's own, with its exact row count: {'schema.table': rows}."""
    found: dict[str, int] = {}
    with endpoint.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT table_schema AS s, table_name AS t FROM information_schema.tables "
                       "WHERE table_type = 'BASE TABLE' ORDER BY table_schema, table_name")
        tables = [(row["s"], row["t"]) for row in cursor.fetchall() if row["s"] not in SYSTEM_SCHEMAS]
        for schema, table in tables:
            cursor.execute(f"SELECT COUNT(*) AS n FROM `{schema}`.`{table}`")
            found[f"{schema}.{table}"] = int(cursor.fetchone()["n"])
    return found


IDLE_TRANSACTIONS = (
    "SELECT p.HOST AS host, p.USER AS user, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS open_for, "
    "t.trx_rows_locked AS rows_locked FROM information_schema.INNODB_TRX t "
    "JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
    "WHERE p.COMMAND = 'Sleep' AND TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) >= %s")


def idle_transactions(endpoint: MySQLEndpoint, older_than: int = 10) -> list[str]:
    """Transactions left open on idle connections (a client that vanished, e.g. after a VIP moved), as
    sentences: their row locks stop replication from applying what touches the same rows."""
    with endpoint.connect() as connection, connection.cursor() as cursor:
        cursor.execute(IDLE_TRANSACTIONS, (older_than,))
        rows = cursor.fetchall()
    return [f"{endpoint.name} has a transaction open for {row['open_for']} s on an idle connection of "
            f"{row['user']} from {row['host'].rsplit(':', 1)[0]}, holding {row['rows_locked']} row lock(s)"
            for row in rows]
