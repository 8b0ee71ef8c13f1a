"""The FaultDriver protocol, and what every driver shares: picking nodes, injecting node by node.

A driver turns a `Fault` into actions on the nodes it reaches and undoes
them. Both drivers (Docker and SSH) implement the whole protocol; what a
driver cannot do on a given machine it says through `unsupported`, so a
scenario is reported as not run with the reason instead of passing.
"""

from __future__ import annotations

from typing import Callable, Protocol

from harness.backends.access import NodeAccess
from harness.faults.catalogue import Fault, Injected, select


class FaultDriver(Protocol):
    access: NodeAccess
    description: str

    def nodes(self, fault: Fault) -> list[str]:
        """The nodes the fault's selector picks now (the VIP holder is looked up)."""

    def plan(self, fault: Fault) -> list[str]:
        """What inject and heal would do, one line per action, touching nothing."""

    def unsupported(self, fault: Fault) -> str | None:
        """Why this driver cannot inject the fault here, or None when it can."""

    def inject(self, fault: Fault) -> Injected:
        """Inject on every selected node; if one step fails, what was done is healed before raising."""

    def heal(self, injected: Injected) -> None:
        """Undo what inject did; undo steps that fail are kept in `injected.heal_failures`."""


def pick(fault: Fault, access: NodeAccess) -> list[str]:
    """The nodes a fault's selector picks on the cluster `access` reaches."""
    layout = access.layout
    role = fault.selector.role
    holder = None
    if fault.selector.pick in ("vip_holder", "write_master"):
        vip = layout.vip_of(role)
        holders = access.vip_holders().get(vip.address, []) if vip else []
        holder = holders[0] if holders else None
    pools = {pool: [node.name for node in layout.pool_members(pool)] for pool in layout.pools}
    return select(fault.selector, layout.names(role), holder, pools or None)


def inject_each(driver: FaultDriver, fault: Fault, nodes: list[str],
                step: Callable[[str, Injected], None]) -> Injected:
    """Run `step(node, injected)` on each node; a step records its undo in `injected.undo` before acting,
    and when one fails everything done so far is healed before the error goes on."""
    injected = Injected(fault, nodes)
    try:
        for node in nodes:
            step(node, injected)
    except BaseException:
        driver.heal(injected)
        raise
    return injected
