"""`oxh drill`'s guard rails and the SSH driver's commands, without touching any host."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.drill import check_guard_rails
from harness.cli.main import main
from harness.errors import UserError
from harness.faults.catalogue import Fault, Selector
from harness.faults.ssh_driver import SshFaults
from harness.topology.target import load_target

EXAMPLES = Path(__file__).resolve().parents[2] / "topologies" / "examples"
STAGING = EXAMPLES / "staging-drill.yaml"
ACCEPTANCE = EXAMPLES / "customer-acceptance.yaml"


def test_targets_not_marked_staging_are_refused():
    with pytest.raises(UserError, match="marked 'acceptance'; drills .* only on targets marked staging"):
        check_guard_rails(load_target(ACCEPTANCE), "middleware-node-killed", "customer-acme", dry_run=False)


def test_a_drill_needs_the_targets_name_as_confirmation():
    target = load_target(STAGING)
    with pytest.raises(UserError, match="needs an explicit confirmation"):
        check_guard_rails(target, "middleware-node-killed", None, dry_run=False)
    with pytest.raises(UserError, match="needs an explicit confirmation"):
        check_guard_rails(target, "middleware-node-killed", "some-other-cluster", dry_run=False)
    check_guard_rails(target, "middleware-node-killed", "staging-acme", dry_run=False)
    check_guard_rails(target, "middleware-node-killed", None, dry_run=True)


def test_unknown_scenarios_are_named():
    with pytest.raises(UserError, match="unknown scenario 'meteor'"):
        check_guard_rails(load_target(STAGING), "meteor", "staging-acme", dry_run=True)


def test_dry_run_prints_the_commands_and_runs_nothing(capsys):
    ran = []
    driver = SshFaults(load_target(STAGING).drill, runner=lambda *args, **kw: ran.append(args) or 0)
    lines = driver.plan(Fault("kill", Selector("middleware", "one")), probe=False)
    assert ran == []
    assert "ox-1: inject: ssh -p 22 -o BatchMode=yes -o ConnectTimeout=5 root@ox1.staging.acme.example" in lines[0]
    assert "systemctl kill --signal=SIGKILL open-xchange" in lines[0] and "systemctl start open-xchange" in lines[1]
    assert main(["drill", "--target", str(STAGING), "--scenario", "middleware-node-killed", "--dry-run"]) == 0
    assert "nothing was touched" in capsys.readouterr().out


def test_inject_and_heal_run_the_pair_of_commands():
    ran: list[tuple[str, str]] = []
    driver = SshFaults(load_target(STAGING).drill, runner=lambda node, command, check=True: ran.append((node, command)) or 0)
    injected = driver.inject(Fault("partition", Selector("database", "all")))
    assert ("db-1", "iptables -I INPUT -s db2.staging.acme.example -m comment --comment oxh-fault -j DROP") in ran
    ran.clear()
    driver.heal(injected)
    driver.heal(injected)  # healing twice does nothing more
    assert len(ran) == 4 and all(" -D " in command for _, command in ran)


def test_the_cli_refuses_without_confirmation(capsys):
    assert main(["drill", "--target", str(STAGING), "--scenario", "middleware-node-killed"]) == 2
    assert "--confirm staging-acme" in capsys.readouterr().err


def test_the_targets_key_and_ssh_options_are_used():
    settings = load_target(STAGING).drill.model_copy(
        update={"ssh_identity": "/keys/drill", "ssh_options": ["UserKnownHostsFile=/keys/known_hosts"]})
    line = SshFaults(settings).plan(Fault("stop", Selector("balancer", "one")))[0]
    assert "-i /keys/drill -o UserKnownHostsFile=/keys/known_hosts root@lb1.staging.acme.example" in line


def test_heal_commands_that_fail_and_nodes_that_do_not_answer_are_problems():
    answers = {"systemctl start apache2": 1, "ip -o -4 addr show | grep -q ' 10.20.0.10/'": 255}
    driver = SshFaults(load_target(STAGING).drill, runner=lambda node, command, check=True: answers.get(command, 1))
    driver.heal(driver.inject(Fault("stop", Selector("balancer", "one"))))
    problems = driver.problems()
    assert "lb-1: `systemctl start apache2` exited with 1 while healing" in problems
    assert "cannot reach lb-1 over SSH to see whether it holds the balancer VIP" in problems
    assert driver.problems()[0].startswith("cannot reach")  # a failed heal is reported once


def test_a_failing_inject_heals_what_it_did():
    ran: list[str] = []

    def runner(node, command, check=True):
        ran.append(f"{node}: {command}")
        if node == "db-2" and check:
            raise RuntimeError("db-2 refused")
        return 0

    driver = SshFaults(load_target(STAGING).drill, runner=runner)
    with pytest.raises(RuntimeError, match="db-2 refused"):
        driver.inject(Fault("partition", Selector("database", "all")))
    assert any(line.startswith("db-1: iptables -D INPUT") for line in ran)


def test_a_scenario_the_target_cannot_take_is_refused_with_the_reason(capsys):
    code = main(["drill", "--target", str(STAGING), "--scenario", "two-middleware-nodes-killed", "--dry-run"])
    assert code == 2
    assert "no two nodes can fail while pool oxcluster keeps a member" in capsys.readouterr().err
