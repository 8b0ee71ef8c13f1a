"""Worker processes of a middleware node: as many as the cores it is given, as OX's JVM sizes itself to its
container's CPU quota.

The node's first process supervises and serves nothing. It forks the workers, each an aiohttp server on the
node's port (SO_REUSEPORT: the kernel spreads connections over them). Under `workers: auto` it reads the
cgroup's CPU quota every second and starts or stops workers when the quota's cores, rounded up, change (a
capacity sweep moves the quota of a running node). A worker that dies is started again, and SIGTERM stops
them all. Workers share sessions and data as the nodes do (the configdb, the filestore) and count their
metrics into one folder (`oxref.metrics`).

Under `auto`, a node without a CPU quota runs one worker: it shares its host with the other containers, and
none of the host's cores is its own. Local sessions live in one process's memory, so they keep one worker.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Callable

from oxref import config as config_module

log = logging.getLogger("oxref.workers")
CGROUP = Path("/sys/fs/cgroup")
COUNT_FILE = "workers"  # in the metrics folder: how many workers the supervisor keeps now
FOLLOW_EVERY = 1.0  # seconds between two reads of the quota and of the workers' state
STOP_WITHIN = 8.0  # seconds a stopping worker is given before it is killed


def quota_cores(cgroup: Path = CGROUP) -> float | None:
    """The CPU quota of this process's cgroup in cores (v2 `cpu.max`, or v1's CFS files); None: no quota."""
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 else quota / period


def worker_count(setting: int | str, quota: float | None, shared_sessions: bool = True) -> int:
    """How many workers a node runs: its setting, or under "auto" its quota's cores rounded up (1 without a
    quota); always 1 with local sessions."""
    if not shared_sessions:
        return 1
    if setting != "auto":
        return int(setting)
    return max(1, math.ceil(round(quota, 6))) if quota else 1


def running_workers() -> int | None:
    """How many workers this node's supervisor keeps now (None outside a supervised node)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    try:
        return int((Path(folder) / COUNT_FILE).read_text()) if folder else None
    except (OSError, ValueError):
        return None


class Supervisor:
    """Keeps the node's workers at the count its setting and quota ask for; `serve` runs in each worker."""

    def __init__(self, config: config_module.Config, serve: Callable[[config_module.Config], None],
                 folder: Path, quota: Callable[[], float | None] = quota_cores):
        self.config, self.serve, self.folder, self.quota = config, serve, folder, quota
        self.workers: list[int] = []
        self.stopping = False

    def wanted(self) -> int:
        return worker_count(self.config.workers, self.quota(), self.config.shared_sessions)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        while not self.stopping:
            self._reap()
            self._resize(self.wanted())
            time.sleep(FOLLOW_EVERY)
        self._resize(0)

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def _resize(self, count: int) -> None:
        if count == len(self.workers):
            return
        if not self.stopping:
            log.info("%d worker%s (CPU quota %s)", count, "" if count == 1 else "s", self.quota() or "none")
        while len(self.workers) < count:
            self.workers.append(self._fork())
        surplus, self.workers = self.workers[count:], self.workers[:count]
        for pid in surplus:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WITHIN
        while surplus and time.monotonic() < deadline:
            surplus = [pid for pid in surplus if not _exited(pid)]
            time.sleep(0.05)
        for pid in surplus:
            _signal(pid, signal.SIGKILL)
            _exited(pid, block=True)
        (self.folder / COUNT_FILE).write_text(str(len(self.workers)))

    def _reap(self) -> None:
        for pid in [pid for pid in self.workers if _exited(pid)]:
            log.warning("worker %d ended; starting another", pid)
            self.workers.remove(pid)

    def _fork(self) -> int:
        pid = os.fork()
        if pid:
            return pid
        status = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            self.serve(self.config)
            status = 0
        except BaseException:
            log.exception("worker %d failed", os.getpid())
        finally:
            os._exit(status)


def _exited(pid: int, block: bool = False) -> bool:
    try:
        done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def main() -> None:
    """`python3 -m oxref`: the node's supervisor; prometheus_client is imported only after its multiprocess
    folder is set, as its multiprocess mode requires."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        config = config_module.load()
    except config_module.ConfigError as exc:
        raise SystemExit(f"oxref: {exc}") from None
    folder = Path(tempfile.mkdtemp(prefix="oxref-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    from oxref.app import serve

    log.info("node %s (route %s) listening on port %s, sessions %s, workers %s", config.node, config.route,
             config.listen_port, config.sessions.get("storage", "shared"), config.workers)
    Supervisor(config, serve, folder).run()
