"""Health checks of the node's backends: database, IMAP, filestore, each bounded in time."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from typing import Callable

import pymysql

from oxref.config import Config

CHECK_TIMEOUT = 2.0


def check_database(config: Config) -> dict:
    connection = pymysql.connect(
        host=config.db["write_host"],
        port=config.db.get("port", 3306),
        user=config.db["user"],
        password=config.db_password,
        connect_timeout=CHECK_TIMEOUT,
        read_timeout=CHECK_TIMEOUT,
    )
    with connection:
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@hostname, @@server_id")
            hostname, server_id = cursor.fetchone()
    return {"write_host": config.db["write_host"], "server_id": server_id, "hostname": hostname}


def check_imap(config: Config) -> dict:
    reachable = []
    for host in config.imap["hosts"]:
        try:
            with socket.create_connection((host, config.imap.get("port", 143)), timeout=CHECK_TIMEOUT) as sock:
                sock.settimeout(CHECK_TIMEOUT)
                if sock.recv(64).startswith(b"* OK"):
                    reachable.append(host)
        except OSError:
            continue
    if not reachable:
        raise ConnectionError("no IMAP server answers")
    return {"reachable": reachable}


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


async def run_check(name: str, check: Callable[[Config], dict], config: Config) -> dict:
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    try:
        data = await asyncio.wait_for(loop.run_in_executor(None, check, config), CHECK_TIMEOUT)
        status = "UP"
    except asyncio.TimeoutError:
        data, status = {"error": f"no answer within {CHECK_TIMEOUT:.0f} s"}, "DOWN"
    except Exception as exc:  # any backend failure is a DOWN check, never a crash
        data, status = {"error": f"{type(exc).__name__}: {exc}"}, "DOWN"
    data["millis"] = round((time.monotonic() - started) * 1000)
    return {"name": name, "status": status, "data": data}


async def health(config: Config) -> dict:
    checks = await asyncio.gather(*(run_check(name, check, config) for name, check in CHECKS.items()))
    status = "UP" if all(check["status"] == "UP" for check in checks) else "DOWN"
    return {"status": status, "node": config.node, "route": config.route, "checks": list(checks)}
