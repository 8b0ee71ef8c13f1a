"""Resources during a load run, every second: each node's CPU and memory, and the generator's own CPU.

Nodes are read through node access (the engine's cgroups for the reference
topology, /proc over SSH for a staging target), so the sampler never needs
to know which backend it has. The generator is the Locust process and its
workers, read from /proc on this machine. A run whose generator passed
80 % of a core (averaged over 5 s) in any of its processes is
generator-bound: its figures say how fast the generator was, not the
cluster, and are not used for capacity.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.backends.access import NodeAccess, NodeUnreachable

INTERVAL = 1.0
GENERATOR_LIMIT = 80.0  # percent of one core
GENERATOR_WINDOW = 5  # samples averaged before comparing with the limit
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Sample:
    at: float
    node: str
    role: str
    cpu_percent: float  # of one core
    memory_bytes: int


@dataclass
class Samples:
    nodes: list[Sample] = field(default_factory=list)
    generator: list[tuple[float, int, float]] = field(default_factory=list)  # (at, pid, percent of one core)

    def per_tier(self) -> dict[str, list[tuple[float, float, int]]]:
        """Per role, (second, CPU percent summed over its nodes, memory summed) in time order."""
        sums: dict[str, dict[float, list[float]]] = {}
        for sample in self.nodes:
            slot = sums.setdefault(sample.role, {}).setdefault(round(sample.at), [0.0, 0])
            slot[0] += sample.cpu_percent
            slot[1] += sample.memory_bytes
        return {role: [(at, cpu, int(memory)) for at, (cpu, memory) in sorted(slots.items())]
                for role, slots in sums.items()}

    def generator_peak(self) -> float:
        """The highest 5-second average CPU of any one generator process, in percent of a core."""
        peak = 0.0
        for pid in {pid for _, pid, _ in self.generator}:
            values = [percent for _, p, percent in self.generator if p == pid]
            for end in range(GENERATOR_WINDOW, len(values) + 1):
                peak = max(peak, sum(values[end - GENERATOR_WINDOW:end]) / GENERATOR_WINDOW)
        return round(peak, 1)

    @property
    def generator_bound(self) -> bool:
        return self.generator_peak() > GENERATOR_LIMIT

    def write_csv(self, path: Path) -> None:
        lines = ["time,node,role,cpu_percent,memory_bytes"]
        lines += [f"{s.at:.1f},{s.node},{s.role},{s.cpu_percent:.1f},{s.memory_bytes}" for s in self.nodes]
        lines += [f"{at:.1f},generator-{pid},generator,{percent:.1f}," for at, pid, percent in self.generator]
        path.write_text("\n".join(lines) + "\n")


def process_tree(root: int) -> list[int]:
    """`root` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue += children.get(pid, [])
    return found


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class Sampler:
    """A thread sampling the nodes and the generator every second until stopped; bounded by `limit` seconds."""

    def __init__(self, access: NodeAccess | None, generator_pid: int | None, limit: float):
        self.access, self.generator_pid, self.limit = access, generator_pid, limit
        self.samples = Samples()
        self.roles = ({name: role for role in ("balancer", "middleware", "database", "filestore", "imap", "mta")
                       for name in access.layout.names(role)} if access else {})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="oxh-load-sampler", daemon=True)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        last_nodes: dict[str, tuple[float, float]] = {}
        last_generator: dict[int, tuple[float, float]] = {}
        ends = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < ends:
            now = time.time()
            if self.access is not None:
                try:
                    usage = self.access.usage()
                except NodeUnreachable:
                    usage = {}
                for node, used in usage.items():
                    if node not in self.roles:
                        continue
                    if node in last_nodes:
                        then, seconds = last_nodes[node]
                        percent = 100 * (used.cpu_seconds - seconds) / max(now - then, 1e-3)
                        self.samples.nodes.append(Sample(now, node, self.roles[node], max(percent, 0.0),
                                                         used.memory_bytes))
                    last_nodes[node] = (now, used.cpu_seconds)
            if self.generator_pid:
                for pid in process_tree(self.generator_pid):
                    seconds = cpu_seconds(pid)
                    if seconds is None:
                        continue
                    if pid in last_generator:
                        then, before = last_generator[pid]
                        self.samples.generator.append((now, pid, 100 * (seconds - before) / max(now - then, 1e-3)))
                    last_generator[pid] = (now, seconds)
            self._stop.wait(max(0.0, INTERVAL - (time.time() - now)))
