"""The fault driver: the catalogue's steps run on any backend, healed whatever happens, proved in effect.

One driver for every backend. It reaches the nodes through node access and
acts through the capabilities the backend offers (harness.backends.
capabilities): process control for service and node faults, network
control for isolate, partition and latency, delay agents where the kernel
has no netem. What the backend lacks makes `unsupported` name the missing
capability, so the scenario is reported as not run with the reason instead
of passing. After injecting, the driver measures from inside the cluster
that the fault took effect (harness.faults.proof) before anyone judges
users.
"""

from __future__ import annotations

from typing import Protocol

from harness.backends.access import NodeAccess, NodeUnreachable
from harness.backends.capabilities import DelayAgents, NetworkControl, ProcessControl
from harness.faults import proof
from harness.faults.catalogue import NETWORK_KINDS, Fault, Injected, select
from harness.faults.steps import AgentStep, NetStep, NodeStep, Pair, ServiceStep, ShellStep, Step, steps

AGENT_LIFETIME = 900  # the latency agent ends by itself after this long, whatever happens to the harness


class FaultDriver(Protocol):
    access: NodeAccess
    description: str

    def nodes(self, fault: Fault) -> list[str]:
        """The nodes the fault's selector picks now (the VIP holder is looked up)."""

    def plan(self, fault: Fault, probe: bool = True) -> list[str]:
        """What inject and heal would do, one line per step, touching nothing."""

    def unsupported(self, fault: Fault) -> str | None:
        """Why the fault cannot be injected here, or None when it can."""

    def inject(self, fault: Fault) -> Injected:
        """Inject on every selected node and prove it took effect; if a step fails, what was done is healed."""

    def heal(self, injected: Injected) -> None:
        """Undo what inject did; undo steps that fail are kept in `injected.heal_failures`."""


class Faults:
    """The FaultDriver over a backend's node access and capabilities."""

    def __init__(self, access: NodeAccess, own_commands: dict[str, tuple[list[str], list[str]]] | None = None,
                 service_names: dict[str, str] | None = None):
        self.access = access
        self.description = access.description
        self.own_commands = own_commands or {}  # kind -> (inject, heal) shell templates a target file gives
        self.service_names = service_names or {}  # node -> its service, for those templates
        self._netem: dict[str, bool] = {}

    def nodes(self, fault: Fault) -> list[str]:
        return pick(fault, self.access)

    def unsupported(self, fault: Fault) -> str | None:
        if fault.kind in self.own_commands:
            return None
        if fault.kind in NETWORK_KINDS:
            if not isinstance(self.access, NetworkControl):
                return f"{self.description} gives no network control, so it cannot {fault.describe()}"
            return None
        if not isinstance(self.access, ProcessControl):
            return f"{self.description} gives no process control, so it cannot {fault.describe()}"
        return None

    def steps(self, fault: Fault, node: str, selected: list[str], probe: bool = True) -> list[Pair]:
        """The node's steps; without `probe`, the kernel is not asked for netem and latency shows as tc netem."""
        layout = self.access.layout
        addresses = {name: layout.node(name).address for name in selected}
        own = self.own_commands.get(fault.kind)
        values = {"service": self.service_names.get(node, ""), "interface": "eth0", "delay_ms": str(fault.delay_ms)}
        netem = not probe or fault.kind != "netem" or own is not None or self._has_netem(node)
        return steps(fault, node, selected, addresses, netem, own, values)

    def plan(self, fault: Fault, probe: bool = True) -> list[str]:
        """Every step inject and heal would take, the same on every backend. Without `probe`, nothing is asked
        of the nodes: a VIP holder is shown as the first candidate, latency as tc netem."""
        lines = []
        selected = self.nodes(fault) if probe else pick(fault, self.access, holder_unknown=True)
        if not probe and fault.selector.pick in ("vip_holder", "write_master"):
            candidates = self.access.layout.names(fault.selector.role)
            lines.append(f"(whichever of {', '.join(candidates)} holds the {fault.selector.role} VIP; shown: the first)")
        for node in selected:
            pairs = self.steps(fault, node, selected, probe)
            lines += [f"{node}: inject: {pair.do.describe()}" for pair in pairs if not _noop(pair.do)]
            lines += [f"{node}: heal:   {pair.undo.describe()}" for pair in reversed(pairs) if pair.undo is not None]
        return lines

    def commands(self, fault: Fault) -> list[str]:
        """The command line this backend runs for each step (nothing is asked of the nodes)."""
        selected = pick(fault, self.access, holder_unknown=True)
        lines = []
        for node in selected:
            for pair in self.steps(fault, node, selected, probe=False):
                lines += [f"{node}: {self._how(node, step)}" for step in (pair.do, pair.undo)
                          if step is not None and not _noop(step)]
        return lines

    def inject(self, fault: Fault) -> Injected:
        selected = self.nodes(fault)
        injected = Injected(fault, selected)
        try:
            for node in selected:
                for pair in self.steps(fault, node, selected):
                    if pair.undo is not None:
                        injected.undo.append((node, pair.undo))  # undoing a step never taken is harmless
                    self._run(node, pair.do, injected)
        except BaseException:
            self.heal(injected)
            raise
        if not self.own_commands.get(fault.kind):
            proof.prove(self.access, injected)
        return injected

    def heal(self, injected: Injected) -> None:
        if injected.healed:
            return
        for node, step in reversed(injected.undo):
            try:
                self._run(node, step, injected, healing=True)
            except Exception as exc:  # every other step is still undone; the failure is reported
                injected.heal_failures.append(f"{node}: {step.describe()} failed while healing: {exc}")
        for agent in injected.agents.values():
            agent.stop()
        injected.agents.clear()
        injected.healed = True

    # -- running one step -----------------------------------------------------

    def _run(self, node: str, step: Step, injected: Injected, healing: bool = False) -> None:
        if isinstance(step, ServiceStep):
            self.access.service(node, step.action)
        elif isinstance(step, NodeStep):
            self.access.whole_node(node, step.action)
        elif isinstance(step, NetStep):
            self.access.net(node, list(step.argv), check=not healing)
        elif isinstance(step, AgentStep):
            self._agent(node, step, injected)
        elif isinstance(step, ShellStep):
            if _noop(step):
                return
            result = self.access.exec(node, step.script)
            if not result.ok:
                raise RuntimeError(f"`{step.script}` exited with {result.exit_code}: {result.output.strip()[-300:]}")

    def _agent(self, node: str, step: AgentStep, injected: Injected) -> None:
        agents = injected.agents
        if not step.start:
            agent = agents.pop(step.queue, None)
            if agent is not None:
                agent.stop()
            return
        if not isinstance(self.access, DelayAgents):
            raise RuntimeError(f"{self.description} has neither tc netem nor a latency agent on {node}")
        agents[step.queue] = self.access.start_delay_agent(node, step.queue, step.delay_ms, AGENT_LIFETIME)
        injected.note = "latency through an NFQUEUE agent, as this kernel has no sch_netem"

    def _has_netem(self, node: str) -> bool:
        if node not in self._netem:
            self._netem[node] = isinstance(self.access, NetworkControl) and self.access.has_netem(node)
        return self._netem[node]

    def _how(self, node: str, step: Step) -> str:
        if isinstance(step, (ServiceStep, NodeStep)) and isinstance(self.access, ProcessControl):
            return self.access.how(node, step.action)
        if isinstance(step, NetStep) and isinstance(self.access, NetworkControl):
            return self.access.how_net(node, list(step.argv))
        return step.describe()


def _noop(step: Step) -> bool:
    return isinstance(step, ShellStep) and step.script == "true"


def pick(fault: Fault, access: NodeAccess, holder_unknown: bool = False) -> list[str]:
    """The nodes a fault's selector picks on the cluster `access` reaches; `holder_unknown` asks no node and
    takes the first candidate for a VIP holder."""
    layout = access.layout
    role = fault.selector.role
    holder = None
    if fault.selector.pick in ("vip_holder", "write_master"):
        if holder_unknown:
            holder = (layout.names(role) or [None])[0]
        else:
            vip = layout.vip_of(role)
            try:
                holders = access.vip_holders().get(vip.address, []) if vip else []
            except NodeUnreachable:
                holders = []
            holder = holders[0] if holders else None
    pools = {pool: [node.name for node in layout.pool_members(pool)] for pool in layout.pools}
    return select(fault.selector, layout.names(role), holder, pools or None)
