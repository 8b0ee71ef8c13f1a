"""What `up` waits for while it starts a tier: each container's health probe, and each VIP on its node.

The progress of every wait goes to a Reporter (the CLI shows it live). A VIP
is waited for in two ways: the node a VIP prefers, started alone, until it
holds the VIP (keepalived runs with `nopreempt`, so the first node to claim a
VIP keeps it); and a whole tier, until exactly one of its nodes holds it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Protocol

from docker.models.containers import Container

from harness.backends.docker.roles import Probe
from harness.errors import UserError
from harness.models.topology import Node, Topology
from harness.wait import WaitTimeout, wait_for


class Cluster(Protocol):
    """What the waits need of the cluster they start (the DockerCluster)."""

    def container_name(self, node: str) -> str: ...

    def logs(self, node: str, lines: int = 50) -> str: ...

    def vip_holders(self, topology: Topology) -> dict[str, list[str]]: ...

TIER_TIMEOUT = 180.0
VIP_TIMEOUT = 30.0
POLL_INTERVAL = 0.5


@dataclass
class Waiting:
    """One container `up` is waiting for, for the progress display."""

    node: str
    role: str
    waits_for: str
    probe: Probe | None = None
    container: Container | None = None
    since: float = field(default_factory=time.monotonic)
    healthy_after: float | None = None
    last_output: str = ""


class Reporter:
    """What `up` tells the user while it works; the CLI supplies a rich implementation."""

    def step(self, message: str) -> None:  # pragma: no cover - interface
        print(message, flush=True)

    def waiting(self, items: list[Waiting]) -> None:  # pragma: no cover - interface
        pass

    def healthy(self, item: Waiting) -> None:  # pragma: no cover - interface
        print(f"{item.node} ({item.role}) healthy after {item.healthy_after:.1f} s", flush=True)


def preferred_first(topology: Topology, role: str) -> list[Node]:
    """The nodes of a role; where they share a VIP, the one keepalived prefers (highest priority) first."""
    nodes = list(topology.tier(role).nodes)
    if role not in topology.vips().values():
        return nodes
    return sorted(nodes, key=lambda node: -node.priority)


class StartupWaits:
    """The waits of one `up` of `cluster` placed as `topology`."""

    def __init__(self, cluster: Cluster, topology: Topology, reporter: Reporter):
        self.cluster, self.topology, self.reporter = cluster, topology, reporter

    def tier_healthy(self, items: list[Waiting]) -> None:
        """Every started container answers its probe, then every VIP of the tier sits on one node."""
        pending = list(items)
        deadline = time.monotonic() + TIER_TIMEOUT
        with ThreadPoolExecutor(max_workers=8) as pool:
            while pending:
                self.reporter.waiting(pending)
                results = list(pool.map(self._probe_once, pending))
                for item, healthy in zip(list(pending), results):
                    if healthy:
                        item.healthy_after = time.monotonic() - item.since
                        self.reporter.healthy(item)
                        pending.remove(item)
                if not pending:
                    break
                if time.monotonic() > deadline:
                    item = pending[0]
                    raise UserError(
                        f"{item.node} ({item.role}) not healthy after {TIER_TIMEOUT:.0f} s: waiting for {item.waits_for}"
                        f"\n{item.last_output}\n--- last log lines of {self.cluster.container_name(item.node)} ---\n"
                        + self.cluster.logs(item.node, 30),
                        "see the log lines above; `oxh down` removed everything",
                    )
                time.sleep(POLL_INTERVAL)
        for role in sorted({item.role for item in items} & set(self.topology.vips().values())):
            self.vip(role, "exactly one node holding {address}", lambda holders: len(holders) == 1, VIP_TIMEOUT,
                     lambda address, holders: UserError(
                         f"VIP {address} held by {holders or 'no node'} after {VIP_TIMEOUT:.0f} s; expected exactly one",
                         "check keepalived in the containers' logs"))

    def vip_taken_by(self, role: str, node: str) -> None:
        """`node`, started alone, holds its role's VIP before its peers start."""
        self.vip(role, f"{node} holding {{address}} before its peers start", lambda holders: holders == [node],
                 TIER_TIMEOUT, lambda address, _: UserError(
                     f"{node} did not take the VIP {address} within {TIER_TIMEOUT:.0f} s",
                     f"check keepalived in its log (docker logs {self.cluster.container_name(node)})"))

    def vip(self, role: str, waits_for: str, wanted: Callable[[list[str]], bool], timeout: float,
            failure: Callable[[str, list[str]], UserError]) -> None:
        """Wait until the holders of `role`'s VIP are `wanted`, showing it as one more thing waited for."""
        address = next(vip for vip, vip_role in self.topology.vips().items() if vip_role == role)
        waiting = Waiting(f"{role} VIP", role, waits_for.format(address=address))

        def holders() -> list[str]:
            self.reporter.waiting([waiting])
            return self.cluster.vip_holders(self.topology).get(address, [])

        try:
            wait_for(lambda: wanted(holders()), timeout=timeout, interval=POLL_INTERVAL, waiting_for=waiting.waits_for)
        except WaitTimeout:
            raise failure(address, self.cluster.vip_holders(self.topology).get(address, [])) from None
        waiting.healthy_after = time.monotonic() - waiting.since
        self.reporter.healthy(waiting)

    def _probe_once(self, item: Waiting) -> bool:
        container, probe = item.container, item.probe
        assert container is not None and probe is not None
        container.reload()
        if container.status in ("exited", "dead"):
            raise UserError(
                f"{item.node} ({item.role}) stopped during start-up (exit code "
                f"{container.attrs['State'].get('ExitCode')})\n--- last log lines ---\n" + self.cluster.logs(item.node, 40),
                "see the log lines above; `oxh down` removed everything",
            )
        result = container.exec_run(["sh", "-c", probe.command])
        item.last_output = result.output.decode(errors="replace")[-400:]
        return result.exit_code == 0
