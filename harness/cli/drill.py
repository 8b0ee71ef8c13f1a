"""`oxh drill`: one failover scenario on a staging cluster, behind guard rails.

A drill runs only against a target file marked `use: staging`, and only
when `--confirm` repeats the target's name; `--dry-run` prints the plan
(fault, nodes, every command) and touches nothing. The run's own test users
are created for the drill and removed afterwards; the fault is healed
whatever happens.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from rich.console import Console

from harness.errors import UserError
from harness.faults.scenarios import SCENARIOS, thresholds_for
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
    from harness.faults.ssh_driver import SshFaults

    target = load_target(target_file)
    check_guard_rails(target, scenario, confirm, dry_run)
    named = SCENARIOS[scenario]
    driver = SshFaults(target.drill)
    console.print(f"drill {scenario} on {target.name}: {named.fault.describe()}, held {named.hold:g} s")
    console.print(f"thresholds: {thresholds_for(scenario, {n: t.overrides() for n, t in target.failover_thresholds.items()})}")
    try:
        plan = driver.plan(named.fault, probe=False)
    except ValueError as exc:  # the selector cannot pick nodes on this target
        raise UserError(f"scenario {scenario} cannot run on {target.name}: {exc}",
                        "choose another scenario, or describe the nodes in the target's drill section") from None
    if dry_run:
        console.print("[bold]dry run[/]: these commands would run (nothing was touched):")
        for line in plan:
            console.print(f"  {line}", highlight=False)
        return 0
    return _execute(console, target, scenario, driver)


def _execute(console: Console, target: RemoteTarget, scenario: str, driver) -> int:
    from harness.backends.endpoints import from_target
    from harness.clients.provisioning import Credentials, Provisioning
    from harness.faults.scenario import ClusterNotHealthy, run_scenario
    from harness.load.workload import Account

    endpoints = from_target(target)
    driver.databases = endpoints.databases  # read-only: replication convergence before and after
    provisioning = Provisioning(endpoints.soap_url, endpoints.master, verify=endpoints.tls)
    cid = 5_000_000 + secrets.randbelow(1_000_000)
    admin = Credentials("oxadmin", secrets.token_urlsafe(12))
    provisioning.create_context(cid, f"oxhdrill{cid}", admin)
    try:
        accounts = []
        for name in ("drill1", "drill2"):
            password = secrets.token_urlsafe(12)
            provisioning.create_user(cid, admin, name, password, f"{name}.{cid}@{target.mail_domain}", name)
            accounts.append(Account(f"{name}@oxhdrill{cid}", password, f"{name}.{cid}@{target.mail_domain}"))
        named = SCENARIOS[scenario]
        if named.write_on_each_side:
            console.print("note: a drill writes through the VIP only; writing on each master directly needs node access")
        try:
            result = run_scenario(scenario, named.fault, driver, endpoints.http_url, accounts, hold=named.hold,
                                  thresholds=thresholds_for(scenario, endpoints.thresholds), verify=endpoints.tls)
        except ClusterNotHealthy as exc:
            console.print(f"[red]drill not started:[/] {exc}")
            return 1
    finally:
        provisioning.delete_context(cid)
    path = result.save(Path("reports") / "drills")
    console.print(f"probe down {result.probe_downtime:.1f} s, writes down {result.write_downtime:.1f} s, "
                  f"{len(result.lost_writes)} acknowledged write(s) lost; details in {path}")
    for violation in result.violations:
        console.print(f"[red]violation:[/] {violation}")
    return 0 if result.passed else 1
