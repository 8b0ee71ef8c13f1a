"""CPU and memory of a container, read from its cgroup on the host (instant), or from the engine's stats.

cgroup v1 (cgroupfs driver): cpuacct.usage in ns, memory.usage_in_bytes less
the inactive file cache (what `docker stats` shows); cgroup v2 (cgroupfs or
systemd driver): cpu.stat usage_usec, memory.current less inactive_file. The
engine's stats call is the fallback; it takes a second or two per container.
"""

from __future__ import annotations

from pathlib import Path

from docker.models.containers import Container

from harness.backends.access import Usage

CGROUP = Path("/sys/fs/cgroup")


def _stat(path: Path, key: str) -> int:
    for line in path.read_text().splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


def from_cgroup(container_id: str, root: Path = CGROUP) -> Usage | None:
    v1_cpu, v1_memory = root / "cpuacct" / "docker" / container_id, root / "memory" / "docker" / container_id
    if (v1_cpu / "cpuacct.usage").exists() and (v1_memory / "memory.usage_in_bytes").exists():
        used = int((v1_memory / "memory.usage_in_bytes").read_text())
        return Usage(int((v1_cpu / "cpuacct.usage").read_text()) / 1e9,
                     used - _stat(v1_memory / "memory.stat", "total_inactive_file"))
    for folder in (root / "system.slice" / f"docker-{container_id}.scope", root / "docker" / container_id):
        if (folder / "cpu.stat").exists() and (folder / "memory.current").exists():
            used = int((folder / "memory.current").read_text())
            return Usage(_stat(folder / "cpu.stat", "usage_usec") / 1e6, used - _stat(folder / "memory.stat", "inactive_file"))
    return None


def container_usage(container: Container) -> Usage | None:
    """The container's usage now, or None when it is not running."""
    if container.status != "running":
        return None
    try:
        found = from_cgroup(container.id)
    except (OSError, ValueError):
        found = None
    if found:
        return found
    stats = container.stats(stream=False)
    memory = stats.get("memory_stats", {})
    inactive = memory.get("stats", {}).get("inactive_file", memory.get("stats", {}).get("total_inactive_file", 0))
    return Usage(stats["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9, memory.get("usage", 0) - inactive)
