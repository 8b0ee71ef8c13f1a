"""The fault driver a target allows: the Docker engine for the reference topology, SSH for a staging
target whose name the user confirmed; none for an acceptance target."""

from __future__ import annotations

from harness.backends.target import Target
from harness.errors import UserError
from harness.faults.driver import FaultDriver, Faults


def driver_for(target: Target, confirm: str | None) -> FaultDriver:
    """The driver the target's policy allows; UserError says why no fault may be injected."""
    target.policy.check_may_change(target.name, confirm, "a fault")
    if target.access is None:
        raise UserError(f"target {target.name} gives no node access: no fault can be injected into it",
                        "faults need the reference topology or a staging target with a drill section")
    if target.drill is not None:
        return ssh_faults(target.access, target.drill)
    return Faults(target.access)


def ssh_faults(access, drill) -> Faults:
    """The driver on a staging cluster's hosts, with the commands its target file gives for some kinds."""
    return Faults(access, own_commands=dict(drill.commands),
                  service_names={node.name: node.service for node in drill.nodes})
