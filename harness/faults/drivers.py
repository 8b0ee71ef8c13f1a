"""The fault driver a target allows: the Docker engine for the reference topology, SSH for a staging
target whose name the user confirmed; none for an acceptance target."""

from __future__ import annotations

from harness.errors import UserError
from harness.faults.driver import FaultDriver, Faults


def driver_for(target, confirm: str | None) -> FaultDriver:
    """`target`: harness.backends.endpoints.Endpoints. UserError says why no fault may be injected."""
    if target.kind == "docker":
        return Faults(target.access)
    if target.use != "staging" or target.access is None:
        raise UserError(f"target {target.name} is an {target.use} target: no fault is injected into it",
                        "faults run on the reference topology, or on a staging target with a drill section")
    if confirm != target.name:
        raise UserError(f"faults on the staging target {target.name} need an explicit confirmation",
                        f"add --confirm {target.name}")
    return ssh_faults(target.access, target.drill)


def ssh_faults(access, drill) -> Faults:
    """The driver on a staging cluster's hosts, with the commands its target file gives for some kinds."""
    return Faults(access, own_commands=dict(drill.commands),
                  service_names={node.name: node.service for node in drill.nodes})
