"""The fault driver a target allows: the Docker engine for the reference topology, SSH for a staging
target whose name the user confirmed; none for an acceptance target."""

from __future__ import annotations

from harness.errors import UserError
from harness.faults.driver import FaultDriver


def driver_for(target, confirm: str | None) -> FaultDriver:
    """`target`: harness.backends.endpoints.Endpoints. UserError says why no fault may be injected."""
    if target.kind == "docker":
        from harness.faults.docker_driver import DockerFaults

        return DockerFaults(target.cluster)
    if target.use != "staging" or target.access is None:
        raise UserError(f"target {target.name} is an {target.use} target: no fault is injected into it",
                        "faults run on the reference topology, or on a staging target with a drill section")
    if confirm != target.name:
        raise UserError(f"faults on the staging target {target.name} need an explicit confirmation",
                        f"add --confirm {target.name}")
    from harness.faults.ssh_driver import SshFaults

    return SshFaults(target.access)
