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
from harness.models.target_file import TargetFile, load_target_file


def check_guard_rails(file: TargetFile, scenario: str, confirm: str | None, dry_run: bool) -> None:
    if scenario not in SCENARIOS:
        raise UserError(f"unknown scenario {scenario!r}", f"choose from: {', '.join(SCENARIOS)}")
    if file.use != "staging":
        raise UserError(
            f"target {file.name} is marked {file.use!r}; drills inject faults and run only on targets marked staging",
            "run read-only checks with `oxh qualify --target FILE`, or mark a staging cluster's file `use: staging`",
        )
    if file.drill is None:
        raise UserError(f"target {file.name} has no drill section", "list its nodes, hosts and services under drill:")
    if not dry_run and confirm != file.name:
        raise UserError(
            f"a drill on {file.name} needs an explicit confirmation",
            f"add --confirm {file.name} (or look first with --dry-run)",
        )


def run_drill(console: Console, target_file: str, scenario: str, confirm: str | None, dry_run: bool) -> int:
    from harness.backends.ssh import SshAccess
    from harness.faults.drivers import ssh_faults

    file = load_target_file(target_file)
    check_guard_rails(file, scenario, confirm, dry_run)
    named = SCENARIOS[scenario]
    driver = ssh_faults(SshAccess(file.drill, file.name), file.drill)
    console.print(f"drill {scenario} on {file.name}: {named.fault.describe()}, held {named.hold:g} s")
    overrides = {name: thresholds.overrides() for name, thresholds in file.failover_thresholds.items()}
    console.print(f"thresholds: {thresholds_for(scenario, overrides)}")
    for line in failover_waivers({scenario: overrides.get(scenario, {})}):
        console.print(f"[yellow]waiver:[/] {line}", highlight=False)
    try:
        plan, commands = driver.plan(named.fault, probe=False), driver.commands(named.fault)
    except ValueError as exc:  # the selector cannot pick nodes on this target
        raise UserError(f"scenario {scenario} cannot run on {file.name}: {exc}",
                        "choose another scenario, or describe the nodes in the target's drill section") from None
    if dry_run:
        console.print("[bold]dry run[/]: these steps would run (nothing was touched), as on the reference topology:")
        for line in plan:
            console.print(f"  {line}", highlight=False)
        console.print("with these commands:")
        for line in commands:
            console.print(f"  {line}", highlight=False)
        return 0
    return _execute(console, file, scenario)


def _execute(console: Console, file: TargetFile, scenario: str) -> int:
    from harness.backends.target import file_target
    from harness.checks.cluster_state import cluster_checks
    from harness.clients.provisioning import Provisioning, temporary_context
    from harness.faults.drivers import driver_for
    from harness.load.workload import Account
    from harness.scenario.failover import ClusterNotHealthy, run_scenario

    staging = file_target(file)
    endpoints = staging.endpoints
    driver = driver_for(staging, staging.name)
    provisioning = Provisioning(endpoints.soap_url, endpoints.master, verify=endpoints.tls)
    named = SCENARIOS[scenario]
    with temporary_context(provisioning, "drill", ["drill1", "drill2"], endpoints.mail_domain) as context:
        accounts = [Account(user.login, user.password, user.email) for user in context.users.values()]
        try:
            result = run_scenario(scenario, named, driver, cluster_checks(staging.access, endpoints.databases),
                                  endpoints.http_url, accounts,
                                  thresholds=thresholds_for(scenario, staging.policy.thresholds), verify=endpoints.tls,
                                  progress=lambda line: console.print(f"  {line}", highlight=False))
        except ClusterNotHealthy as exc:
            console.print(f"[red]drill not started:[/] {exc}")
            return 1
    path = result.save(Path("reports") / "drills")
    console.print(f"{result.summary()}; details in {path}", highlight=False)
    for violation in result.violations:
        console.print(f"[red]violation:[/] {violation}")
    return 0 if result.passed else 1
