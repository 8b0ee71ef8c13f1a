"""Health checks of the node's backends: database, IMAP, filestore, each bounded in time.

Each check runs on its own thread, so a hung NFS mount cannot starve the
database check; while an earlier probe of a backend is still hanging, that
backend is reported DOWN at once instead of piling up more stuck threads.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

import pymysql

from oxref.config import Config

CHECK_TIMEOUT = 2.0


def _ask(host: str, config: Config, timeout: float) -> dict:
    connection = pymysql.connect(
        host=host,
        port=config.db.get("port", 3306),
        user=config.db["user"],
        password=config.db_password,
        connect_timeout=timeout,
        read_timeout=timeout,
    )
    with connection:
        with connection.cursor(pymysql.cursors.DictCursor) as cursor:
            cursor.execute("SELECT @@hostname AS hostname, @@server_id AS server_id, @@read_only AS read_only")
            row = cursor.fetchone()
            try:
                cursor.execute("SHOW SLAVE STATUS")
                replica = cursor.fetchone()
            except pymysql.err.MySQLError:
                replica = None
    if replica:
        row["seconds_behind_master"] = replica.get("Seconds_Behind_Master")
        row["replication_running"] = replica.get("Slave_IO_Running") == "Yes" and replica.get("Slave_SQL_Running") == "Yes"
    row["read_only"] = bool(row["read_only"])
    return row


def check_database(config: Config) -> dict:
    """UP when the write address answers; the read address's state is reported alongside."""
    write_host, read_host = config.db["write_host"], config.db["read_host"]
    data = {"write_host": write_host, "write": _ask(write_host, config, CHECK_TIMEOUT * 0.5)}
    if read_host != write_host:
        try:
            data["read"] = _ask(read_host, config, CHECK_TIMEOUT * 0.4)
        except Exception as exc:  # a dead read host is a degraded, not a down, database
            data["read"] = {"error": f"{type(exc).__name__}: {exc}"}
        data["read_host"] = read_host
    return data


def check_imap(config: Config) -> dict:
    reachable = []
    per_host = CHECK_TIMEOUT * 0.9 / max(1, len(config.imap["hosts"]))
    for host in config.imap["hosts"]:
        try:
            with socket.create_connection((host, config.imap.get("port", 143)), timeout=per_host) as sock:
                sock.settimeout(per_host)
                if sock.recv(64).startswith(b"* OK"):
                    reachable.append(host)
        except OSError:
            continue
    if not reachable:
        raise ConnectionError("no IMAP server answers")
    return {"reachable": reachable, "hosts": list(config.imap["hosts"])}


def check_filestore(config: Config) -> dict:
    probe = config.filestore_path / f".health-{config.node}-{uuid.uuid4().hex[:8]}"
    probe.write_text("ok")
    try:
        if probe.read_text() != "ok":
            raise OSError("read back differs from what was written")
    finally:
        probe.unlink(missing_ok=True)
    stats = os.statvfs(config.filestore_path)
    return {"path": str(config.filestore_path), "free_bytes": stats.f_bavail * stats.f_frsize}


CHECKS: dict[str, Callable[[Config], dict]] = {
    "database": check_database,
    "imap": check_imap,
    "filestore": check_filestore,
}


class HealthChecker:
    def __init__(self, config: Config):
        self.config = config
        self.executors = {name: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"health-{name}") for name in CHECKS}
        self.running: dict[str, Future] = {}

    async def run_check(self, name: str) -> dict:
        started = time.monotonic()
        previous = self.running.get(name)
        try:
            if previous is not None and not previous.done():
                raise TimeoutError("an earlier probe is still waiting for an answer")
            future = self.executors[name].submit(CHECKS[name], self.config)
            self.running[name] = future
            data = await asyncio.wait_for(asyncio.wrap_future(future), CHECK_TIMEOUT)
            status = "UP"
        except asyncio.TimeoutError:
            data, status = {"error": f"no answer within {CHECK_TIMEOUT:.0f} s"}, "DOWN"
        except Exception as exc:  # any backend failure is a DOWN check, never a crash
            data, status = {"error": f"{type(exc).__name__}: {exc}"}, "DOWN"
        data["millis"] = round((time.monotonic() - started) * 1000)
        return {"name": name, "status": status, "data": data}

    async def report(self, sessions_storage: str) -> dict:
        checks = await asyncio.gather(*(self.run_check(name) for name in CHECKS))
        status = "UP" if all(check["status"] == "UP" for check in checks) else "DOWN"
        return {"status": status, "node": self.config.node, "route": self.config.route,
                "sessions": sessions_storage, "checks": list(checks)}
