"""What a backend can do to a cluster beyond reaching its nodes, each a runtime-checkable protocol.

A check, a fault or a sizing step asks for a capability by protocol
(`isinstance(access, ProcessControl)`), never by probing for a method; a
backend that lacks one makes what needs it "not supported here", with the
capability named. The Docker backend (the reference topology) offers them
all; SSH (a staging cluster) offers process and network control.

- **ProcessControl**: a node's service killed, stopped, frozen, restarted
  while the node lives (keepalived and the rest keep running), and a whole
  node lost, shut down or frozen at once.
- **NetworkControl**: run `ip`, `iptables` and `tc` as root in a node's
  network (Docker: the container's namespace, entered from the host; SSH:
  the host itself).
- **DelayAgents**: a per-node agent that delays each packet a node sends,
  where the kernel has no netem.
- **CpuLimits**: cap the CPU a node may use (capacity sweeps).
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

ServiceAction = Literal["kill", "stop", "start", "pause", "resume", "restart"]
NodeAction = Literal["lose", "shutdown", "freeze", "thaw", "boot"]
ServiceState = Literal["running", "stopped", "paused", "gone"]

# The rules that cut a node off the network but for the harness's own control channel (SSH, port 22) and
# loopback: written once, for the isolate fault on every backend and for a host lost over SSH.
CUT_OFF_RULES: tuple[tuple[str, ...], ...] = (
    ("INPUT", "!", "-i", "lo", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"),
    ("INPUT", "!", "-i", "lo", "-j", "DROP"),
    ("OUTPUT", "!", "-o", "lo", "-p", "tcp", "--sport", "22", "-j", "ACCEPT"),
    ("OUTPUT", "!", "-o", "lo", "-j", "DROP"),
)
FAULT_COMMENT = ("-m", "comment", "--comment", "oxh-fault")


def rule(chain_and_match: tuple[str, ...]) -> list[str]:
    """An iptables rule body marked as the harness's, so that a left-over one can be found by its comment."""
    chain, *match = chain_and_match
    target = match.index("-j")
    return [chain, *match[:target], *FAULT_COMMENT, *match[target:]]


@runtime_checkable
class ProcessControl(Protocol):
    def service(self, node: str, action: ServiceAction) -> None:
        """Act on the node's service (apache2, mariadbd, the middleware, ...) while the node lives."""

    def service_state(self, node: str) -> ServiceState:
        """Whether the node's service runs, is stopped, is frozen, or the whole node is gone."""

    def whole_node(self, node: str, action: NodeAction) -> None:
        """Lose, shut down or freeze the whole node (every process on it at once), or bring it back."""

    def how(self, node: str, action: str) -> str:
        """The command that carries out a service or node action here, as a person would type it."""


@runtime_checkable
class NetworkControl(Protocol):
    def net(self, node: str, argv: list[str], check: bool = True) -> None:
        """Run a network tool as root in the node's network; with `check`, a failure raises RuntimeError."""

    def has_netem(self, node: str) -> bool:
        """Whether the node's kernel can add latency with tc netem."""

    def how_net(self, node: str, argv: list[str]) -> str:
        """The command line that runs `argv` in the node's network, as a person would type it."""


@runtime_checkable
class DelayAgents(Protocol):
    def start_delay_agent(self, node: str, queue: int, delay_ms: int, seconds: float) -> "StoppableAgent":
        """Start the agent that holds each packet of NFQUEUE `queue` in the node's network for `delay_ms`."""


class StoppableAgent(Protocol):
    def stop(self) -> None:
        """End the agent; packets still queued are dropped (no rule passes them around a dead agent)."""

    def alive(self) -> bool:
        """Whether the agent still runs."""


@runtime_checkable
class CpuLimits(Protocol):
    def limit_cpu(self, node: str, cores: float | None) -> None:
        """Give the node at most `cores` CPUs, and those ahead of nodes without a limit (None: no limit)."""
