"""`oxh drill`: one failover scenario on a staging cluster, behind guard rails.

A drill runs only against a target file marked `use: staging`, and only
when `--confirm` repeats the target's name; `--dry-run` prints the plan
(fault, nodes, every command) and touches nothing. The run's own test users
are created for the drill and removed afterwards; the fault is healed
whatever happens.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from harness.errors import UserError
from harness.scenario.named import SCENARIOS, thresholds_for
from harness.scenario.waivers import failover_waivers
from harness.topology.target import RemoteTarget, load_target


def check_guard_rails(target: RemoteTarget, scenario: str, confirm: str | None, dry_run: bool) -> None:
    if scenario not in SCENARIOS:
        raise UserError(f"unknown scenario {scenario!r}", f"choose from: {', '.join(SCENARIOS)}")
    if target.use != "staging":
        raise UserError(
            f"target {target.name} is marked {target.use!r}; drills inject faults and run only on targets marked staging",
            "run read-only checks with `oxh qualify --target FILE`, or mark a staging cluster's file `use: staging`",
        )
    if target.drill is None:
        raise UserError(f"target {target.name} has no drill section", "list its nodes, hosts and services under drill:")
    if not dry_run and confirm != target.name:
        raise UserError(
            f"a drill on {target.name} needs an explicit confirmation",
            f"add --confirm {target.name} (or look first with --dry-run)",
        )


def run_drill(console: Console, target_file: str, scenario: str, confirm: str | None, dry_run: bool) -> int:
    from harness.backends.ssh import SshAccess
    from harness.faults.drivers import ssh_faults

    target = load_target(target_file)
    check_guard_rails(target, scenario, confirm, dry_run)
    named = SCENARIOS[scenario]
    driver = ssh_faults(SshAccess(target.drill, target.name), target.drill)
    console.print(f"drill {scenario} on {target.name}: {named.fault.describe()}, held {named.hold:g} s")
    overrides = {name: thresholds.overrides() for name, thresholds in target.failover_thresholds.items()}
    console.print(f"thresholds: {thresholds_for(scenario, overrides)}")
    for line in failover_waivers({scenario: overrides.get(scenario, {})}):
        console.print(f"[yellow]waiver:[/] {line}", highlight=False)
    try:
        plan, commands = driver.plan(named.fault, probe=False), driver.commands(named.fault)
    except ValueError as exc:  # the selector cannot pick nodes on this target
        raise UserError(f"scenario {scenario} cannot run on {target.name}: {exc}",
                        "choose another scenario, or describe the nodes in the target's drill section") from None
    if dry_run:
        console.print("[bold]dry run[/]: these steps would run (nothing was touched), as on the reference topology:")
        for line in plan:
            console.print(f"  {line}", highlight=False)
        console.print("with these commands:")
        for line in commands:
            console.print(f"  {line}", highlight=False)
        return 0
    return _execute(console, target, scenario)


def _execute(console: Console, target: RemoteTarget, scenario: str) -> int:
    from harness.backends.endpoints import from_target
    from harness.checks.cluster_state import cluster_checks
    from harness.clients.provisioning import Provisioning, temporary_context
    from harness.faults.drivers import driver_for
    from harness.load.workload import Account
    from harness.scenario.failover import ClusterNotHealthy, run_scenario

    endpoints = from_target(target)
    driver = driver_for(endpoints, target.name)
    provisioning = Provisioning(endpoints.soap_url, endpoints.master, verify=endpoints.tls)
    named = SCENARIOS[scenario]
    with temporary_context(provisioning, "drill", ["drill1", "drill2"], target.mail_domain) as context:
        accounts = [Account(user.login, user.password, user.email) for user in context.users.values()]
        try:
            result = run_scenario(scenario, named, driver, cluster_checks(endpoints.access, endpoints.databases),
                                  endpoints.http_url, accounts, thresholds=thresholds_for(scenario, endpoints.thresholds),
                                  verify=endpoints.tls, progress=lambda line: console.print(f"  {line}", highlight=False))
        except ClusterNotHealthy as exc:
            console.print(f"[red]drill not started:[/] {exc}")
            return 1
    path = result.save(Path("reports") / "drills")
    console.print(f"{result.summary()}; details in {path}", highlight=False)
    for violation in result.violations:
        console.print(f"[red]violation:[/] {violation}")
    return 0 if result.passed else 1
