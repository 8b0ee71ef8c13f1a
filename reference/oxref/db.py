"""Database access: pooled connections to the write and read addresses, bounded in time.

Writes go to the write address (the database VIP), reads to the read
address unless the replication monitor says the read side has not caught
up with this node's last write, as OX's replication monitor does. Each
node counts its writes in a row of its own (keyed by its name), so that a
node frozen inside a write transaction locks only its own counter and never
holds up the other nodes' writes. A pooled
connection that died (for instance after the VIP moved) is retried once on
a fresh one; an unreachable database becomes DBP-0001 (SERVICE_DOWN).
A host that refused a connection is skipped for a moment (DOWN_SECONDS), so
that reads fall back to the write address at once and a dead database
answers fast instead of every request waiting for its connect timeout.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

import pymysql
import pymysql.cursors

from oxref import budget, errors
from oxref.config import Config

log = logging.getLogger("oxref.db")
T = TypeVar("T")
CONNECT_TIMEOUT = 2
IO_TIMEOUT = 4
CALL_TIMEOUT = 4.5
RETRYABLE = {2003, 2006, 2013, 2055, 1927, 1290}  # can't connect, gone away, lost, killed, read-only
DOWN_SECONDS = 2.0


class HostState:
    """Whether a database host refused us lately; shared by every pool that talks to it."""

    def __init__(self) -> None:
        self.down_until = 0.0
        self.last_error = ""

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self.down_until

    def failed(self, exc: BaseException) -> None:
        self.down_until = time.monotonic() + DOWN_SECONDS
        self.last_error = str(exc.args[-1] if exc.args else exc)[:200]


HOSTS: dict[tuple[str, int], HostState] = {}


class Pool:
    def __init__(self, host: str, port: int, user: str, password: str, size: int = 16):
        self.host, self.port, self.user, self.password = host, port, user, password
        self.idle: list[pymysql.connections.Connection] = []
        self.lock = threading.Lock()
        self.size = size
        self.state = HOSTS.setdefault((host, port), HostState())

    @property
    def is_down(self) -> bool:
        return self.state.is_down

    def _connect(self) -> pymysql.connections.Connection:
        if self.state.is_down:
            raise pymysql.err.OperationalError(2003, f"{self.host} is down ({self.state.last_error})")
        try:
            return self._open()
        except (pymysql.err.OperationalError, OSError) as exc:
            self.state.failed(exc)
            raise

    def _open(self) -> pymysql.connections.Connection:
        connection = pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=CONNECT_TIMEOUT,  # bounds the handshake; queries get IO_TIMEOUT below
            write_timeout=IO_TIMEOUT,
            cursorclass=pymysql.cursors.DictCursor,
            charset="utf8mb4",
        )
        connection._read_timeout = IO_TIMEOUT
        return connection

    @contextmanager
    def connection(self) -> Iterator[pymysql.connections.Connection]:
        with self.lock:
            conn = self.idle.pop() if self.idle else None
        conn = conn or self._connect()
        try:
            yield conn
        except BaseException:
            conn.close()
            raise
        else:
            with self.lock:
                if len(self.idle) < self.size:
                    self.idle.append(conn)
                    return
            conn.close()

    def clear(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for conn in idle:
            try:
                conn.close()
            except Exception:
                pass


class Database:
    def __init__(self, config: Config):
        db = config.db
        self.write_pool = Pool(db["write_host"], db.get("port", 3306), db["user"], config.db_password)
        self.read_pool = Pool(db["read_host"], db.get("port", 3306), db["user"], config.db_password)
        self.executor = ThreadPoolExecutor(max_workers=24, thread_name_prefix="db")
        self.last_write: dict[str, int] = {}
        self.monitor_id = monitor_id(config.node)
        self.monitor_rows: set[str] = set()

    # -- blocking API (runs in the executor) -----------------------------------

    def run(self, pool: Pool, work: Callable[[pymysql.connections.Connection], T]) -> T:
        for attempt in (1, 2):
            try:
                with pool.connection() as conn:
                    return work(conn)
            except pymysql.err.OperationalError as exc:
                code = exc.args[0] if exc.args else 0
                if code in RETRYABLE and attempt == 1:
                    pool.clear()
                    continue
                if code in (1205, 1213):  # lock wait timeout, deadlock
                    raise errors.database_busy() from None
                raise errors.database_down(str(exc.args[-1] if exc.args else exc)) from None
            except pymysql.err.InterfaceError as exc:
                if attempt == 1:
                    pool.clear()
                    continue
                raise errors.database_down(str(exc)) from None
        raise errors.database_down("no connection")

    def write_sync(self, schema: str, work: Callable[[Any], T]) -> T:
        """Run `work(cursor)` in a transaction on the write address and bump the replication monitor."""

        def transaction(conn):
            with conn.cursor() as cursor:
                if schema not in self.monitor_rows:
                    # autocommitted before the transaction, so that no lock of the insert outlives it
                    cursor.execute(
                        f"INSERT IGNORE INTO `{schema}`.replicationMonitor (id, transaction) VALUES (%s, 0)",
                        (self.monitor_id,),
                    )
                    self.monitor_rows.add(schema)
                cursor.execute("START TRANSACTION")
                try:
                    result = work(cursor)
                    # an equality match on the primary key: a lock on this node's row only, no gap lock
                    cursor.execute(
                        f"UPDATE `{schema}`.replicationMonitor SET transaction = transaction + 1 WHERE id = %s",
                        (self.monitor_id,),
                    )
                    cursor.execute(
                        f"SELECT transaction FROM `{schema}`.replicationMonitor WHERE id = %s", (self.monitor_id,)
                    )
                    row = cursor.fetchone()
                    cursor.execute("COMMIT")
                except BaseException:
                    try:
                        cursor.execute("ROLLBACK")
                    except Exception:
                        pass
                    raise
            if row:
                self.last_write[schema] = row["transaction"]
            else:  # the schema was made again since this node wrote its row
                self.monitor_rows.discard(schema)
            return result

        return self.run(self.write_pool, transaction)

    def read_sync(self, schema: str, work: Callable[[Any], T]) -> T:
        def on(pool: Pool) -> T:
            def body(conn):
                with conn.cursor() as cursor:
                    return work(cursor)

            return self.run(pool, body)

        expected = self.last_write.get(schema)
        if expected is not None:
            try:
                seen = self.run(self.read_pool, lambda conn: _monitor(conn, schema, self.monitor_id))
            except (errors.OXException, pymysql.err.ProgrammingError):
                return on(self.write_pool)
            if seen is None or seen < expected:
                return on(self.write_pool)
        try:
            return on(self.read_pool)
        except (errors.OXException, pymysql.err.ProgrammingError):
            # read side down, or behind on a schema or table the write side already has
            return on(self.write_pool)

    def read_master_sync(self, schema: str, work: Callable[[Any], T]) -> T:
        """A read that must see the latest write (e.g. a session created on another node a moment ago)."""

        def body(conn):
            with conn.cursor() as cursor:
                return work(cursor)

        return self.run(self.write_pool, body)

    # -- async API --------------------------------------------------------------

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        return await budget.on_threads("database", self.executor, CALL_TIMEOUT, function, *args)

    async def write(self, schema: str, work: Callable[[Any], T]) -> T:
        return await self.call(self.write_sync, schema, work)

    async def read(self, schema: str, work: Callable[[Any], T]) -> T:
        return await self.call(self.read_sync, schema, work)

    async def read_master(self, schema: str, work: Callable[[Any], T]) -> T:
        return await self.call(self.read_master_sync, schema, work)


def monitor_id(node: str) -> int:
    """This node's row in every schema's replicationMonitor: a stable number from its name."""
    return zlib.crc32(node.encode()) & 0x7FFFFFFF


def _monitor(conn, schema: str, row_id: int) -> int | None:
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT transaction FROM `{schema}`.replicationMonitor WHERE id = %s", (row_id,))
        row = cursor.fetchone()
    return row["transaction"] if row else None
