"""The fault catalogue: what can be done to which nodes, and what each kind means on every backend.

A `Fault` names a kind and a selector of nodes (one node of a role, the VIP
holder, the write master, a minority, all, or named nodes). Each kind means
the same on the reference topology in Docker and on a staging cluster over
SSH: harness.faults.steps writes its inject and heal steps once, and every
backend runs them through its process and network control. Where a host
and a container differ, the catalogue has both faults: a service killed
while its node lives (keepalived and the rest keep running, so health checks
must notice), and a node lost (everything on it gone at once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

Kind = Literal["kill", "stop", "pause", "restart", "lose", "shutdown", "freeze", "isolate", "partition", "netem"]
Pick = Literal["one", "vip_holder", "write_master", "minority", "two", "all", "named"]

KINDS: dict[str, str] = {
    "kill": "SIGKILL the node's service; the node and the rest on it (keepalived, agents) live on, so a health "
            "check must notice. Where the service is a container's only process, the container ends with it",
    "stop": "stop the node's service gracefully; the node lives",
    "pause": "freeze the node's service (SIGSTOP): its sockets stay open and nothing answers",
    "restart": "restart the node's service",
    "lose": "lose the whole node at once, as a host that crashed: every process on it gone (Docker: the "
            "container killed; SSH: the host cut off the network but for SSH, and its services killed)",
    "shutdown": "shut the whole node down gracefully: its services stop in order and a VIP is handed over "
                "(Docker: the container stopped; SSH: the service and keepalived stopped)",
    "freeze": "freeze the whole node: every process on it stops, sockets stay open (Docker: the container "
              "paused; SSH: the service and keepalived sent SIGSTOP)",
    "isolate": "cut the node off the network: every packet in or out dropped but loopback and SSH (port 22)",
    "partition": "cut the selected nodes off from each other (each still reaches the rest)",
    "netem": "delay every packet the node sends (tc netem; where the kernel has none, an NFQUEUE agent holds "
             "each packet, and packets are dropped, not passed, if the agent dies)",
}
SERVICE_KINDS = ("kill", "stop", "pause", "restart")
NODE_KINDS = ("lose", "shutdown", "freeze")
NETWORK_KINDS = ("isolate", "partition", "netem")


@dataclass(frozen=True)
class Selector:
    role: str
    pick: Pick = "one"
    names: tuple[str, ...] = ()
    spare: str | None = None  # a balancer pool that must keep a member (where the driver knows the pools)
    pool: str | None = None  # pick among the members of this balancer pool only

    def describe(self) -> str:
        if self.pick == "named":
            return ", ".join(self.names)
        text = {"one": f"one {self.role} node" + (f" of {self.pool}" if self.pool else ""), "vip_holder": "the balancer holding the VIP",
                "write_master": "the database master holding the write VIP", "minority": f"a minority of {self.role}",
                "two": f"two {self.role} nodes", "all": f"every {self.role} node"}[self.pick]
        return text + (f", one of them in {self.spare}, which keeps a member" if self.spare else "")


@dataclass(frozen=True)
class Fault:
    kind: Kind
    selector: Selector
    delay_ms: int = 0
    loss_percent: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        target = self.selector.describe()
        text = {"kill": f"kill the service of {target}",
                "stop": f"stop the service of {target}",
                "pause": f"freeze the service of {target}",
                "restart": f"restart the service of {target}",
                "lose": f"lose {target}",
                "shutdown": f"shut down {target}",
                "freeze": f"freeze {target}",
                "isolate": f"cut {target} off the network",
                "partition": f"cut {target} off from each other",
                "netem": f"slow down the network of {target}"}[self.kind]
        if self.kind == "netem":
            text += f" ({self.delay_ms} ms delay, {self.loss_percent:g} % loss)"
        return text


@dataclass
class Injected:
    """A fault as a driver injected it: the nodes it hit, the steps that undo it, and whether it took effect."""

    fault: Fault
    nodes: list[str]
    undo: list[tuple[str, object]] = field(default_factory=list)  # (node, the step that undoes one done)
    healed: bool = False
    heal_failures: list[str] = field(default_factory=list)  # undo steps that failed, as sentences
    note: str = ""  # how the driver made the fault, where that is not the usual way
    took_effect: list[str] = field(default_factory=list)  # what was measured in the cluster to prove it
    not_in_effect: list[str] = field(default_factory=list)  # why it did not take effect, per node
    agents: dict[int, object] = field(default_factory=dict, repr=False)  # NFQUEUE number -> its latency agent


def select(selector: Selector, nodes_of_role: list[str], vip_holder: str | None = None,
           pools: dict[str, list[str]] | None = None) -> list[str]:
    """Nodes a selector picks, given the role's nodes in order, the current VIP holder of the role and
    the members of each balancer pool."""
    if selector.pool:
        if pools is None:
            raise ValueError(f"which {selector.role} nodes serve pool {selector.pool} is not known: list each "
                             "node's pools")
        nodes_of_role = [name for name in nodes_of_role if name in pools.get(selector.pool, [])]
        if not nodes_of_role:
            raise ValueError(f"pool {selector.pool} has no {selector.role} member to select from")
    if not nodes_of_role:
        raise ValueError(f"no {selector.role} nodes to select from")
    if selector.pick == "named":
        unknown = [name for name in selector.names if name not in nodes_of_role]
        if unknown:
            raise ValueError(f"not {selector.role} nodes: {', '.join(unknown)}")
        return list(selector.names)
    if selector.pick in ("vip_holder", "write_master"):
        if vip_holder is None:
            raise ValueError(f"no {selector.role} node holds the VIP")
        return [vip_holder]
    if selector.pick == "one":
        return nodes_of_role[:1]
    if selector.pick == "two":
        if len(nodes_of_role) < 2:
            raise ValueError(f"only {len(nodes_of_role)} {selector.role} node(s)")
        if selector.spare:
            if pools is None:
                raise ValueError(f"which {selector.role} nodes serve pool {selector.spare} is not known: "
                                 "list each node's pools")
            return _two_sparing(nodes_of_role, pools.get(selector.spare, []), selector.spare)
        return nodes_of_role[:2]
    if selector.pick == "minority":
        return nodes_of_role[: max(1, (len(nodes_of_role) - 1) // 2)]
    return list(nodes_of_role)


def _two_sparing(nodes: list[str], members: list[str], pool: str) -> list[str]:
    """The first two nodes that hit the pool yet leave it a member."""
    for pair in combinations(nodes, 2):
        if set(pair) & set(members) and set(members) - set(pair):
            return list(pair)
    raise ValueError(f"no two nodes can fail while pool {pool} keeps a member (its members: {', '.join(members) or 'none'})")
