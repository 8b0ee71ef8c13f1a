"""`oxh drill`'s guard rails and the fault driver over SSH, without touching any host."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.backends.ssh import SshAccess
from harness.checks.cluster_state import NodesHealthy, VipsHeldOnce
from harness.cli.drill import check_guard_rails
from harness.cli.main import main
from harness.errors import UserError
from harness.faults.catalogue import Fault, Selector
from harness.faults.driver import Faults
from harness.faults.drivers import ssh_faults
from harness.models.target_file import load_target_file

EXAMPLES = Path(__file__).resolve().parents[2] / "topologies" / "examples"
STAGING = EXAMPLES / "staging-drill.yaml"
ACCEPTANCE = EXAMPLES / "customer-acceptance.yaml"


def driver(answer=lambda node, command: (0, ""), settings=None) -> tuple[Faults, list[tuple[str, str]]]:
    """An SSH driver whose ssh is `answer(host, command) -> (exit code, output)`, recording what ran."""
    ran: list[tuple[str, str]] = []
    hosts = {}
    settings = settings or load_target_file(STAGING).drill
    for node in settings.nodes:
        hosts[node.host] = node.name

    def runner(argv, timeout):
        node, command = hosts[argv[-2].split("@", 1)[1]], argv[-1]
        ran.append((node, command))
        return answer(node, command)

    return ssh_faults(SshAccess(settings, "staging-acme", runner), settings), ran


def test_targets_not_marked_staging_are_refused():
    with pytest.raises(UserError, match="marked 'acceptance'; drills .* only on targets marked staging"):
        check_guard_rails(load_target_file(ACCEPTANCE), "middleware-node-killed", "customer-acme", dry_run=False)


def test_a_drill_needs_the_targets_name_as_confirmation():
    target = load_target_file(STAGING)
    with pytest.raises(UserError, match="needs an explicit confirmation"):
        check_guard_rails(target, "middleware-node-killed", None, dry_run=False)
    with pytest.raises(UserError, match="needs an explicit confirmation"):
        check_guard_rails(target, "middleware-node-killed", "some-other-cluster", dry_run=False)
    check_guard_rails(target, "middleware-node-killed", "staging-acme", dry_run=False)
    check_guard_rails(target, "middleware-node-killed", None, dry_run=True)


def test_unknown_scenarios_are_named():
    with pytest.raises(UserError, match="unknown scenario 'meteor'"):
        check_guard_rails(load_target_file(STAGING), "meteor", "staging-acme", dry_run=True)


def test_dry_run_prints_the_steps_and_commands_and_runs_nothing(capsys):
    ssh, ran = driver()
    fault = Fault("kill", Selector("middleware", "one"))
    assert ssh.plan(fault, probe=False) == ["ox-1: inject: kill the service (SIGKILL)", "ox-1: heal:   start the service"]
    lines = ssh.commands(fault)
    assert ran == []
    assert lines[0].startswith("ox-1: ssh -p 22 -o BatchMode=yes -o ConnectTimeout=5 root@ox1.staging.acme.example")
    assert "systemctl kill --signal=SIGKILL open-xchange" in lines[0] and "systemctl start open-xchange" in lines[1]
    assert main(["drill", "--target", str(STAGING), "--scenario", "middleware-node-killed", "--dry-run"]) == 0
    assert "nothing was touched" in capsys.readouterr().out


def test_a_lost_host_is_cut_off_but_for_ssh_and_its_services_killed_keepalived_too():
    ssh, _ = driver()
    line = " ".join(ssh.commands(Fault("lose", Selector("database", "write_master"))))
    assert "iptables -I INPUT" in line and "-p tcp --dport 22 -m comment --comment oxh-fault -j ACCEPT" in line
    assert "systemctl kill --signal=SIGKILL mariadb && systemctl kill --signal=SIGKILL keepalived" in line
    assert "iptables -D INPUT" in line and "systemctl start mariadb && systemctl start keepalived" in line


def test_inject_and_heal_run_the_pair_of_commands():
    ssh, ran = driver()
    injected = ssh.inject(Fault("partition", Selector("database", "all")))
    assert ("db-1", "iptables -I INPUT -s db2.staging.acme.example -m comment --comment oxh-fault -j DROP") in ran
    ran.clear()
    ssh.heal(injected)
    ssh.heal(injected)  # healing twice does nothing more
    assert len(ran) == 4 and all(" -D " in command for _, command in ran)


def test_the_cli_refuses_without_confirmation(capsys):
    assert main(["drill", "--target", str(STAGING), "--scenario", "middleware-node-killed"]) == 2
    assert "--confirm staging-acme" in capsys.readouterr().err


def test_the_targets_key_and_ssh_options_are_used():
    settings = load_target_file(STAGING).drill.model_copy(
        update={"ssh_identity": "/keys/drill", "ssh_options": ["UserKnownHostsFile=/keys/known_hosts"]})
    line = driver(settings=settings)[0].commands(Fault("stop", Selector("balancer", "one")))[0]
    assert "-i /keys/drill -o UserKnownHostsFile=/keys/known_hosts root@lb1.staging.acme.example" in line


def test_heal_commands_that_fail_and_nodes_that_do_not_answer_are_named():
    def answer(node, command):
        if command == "systemctl start apache2":
            return 1, "Job failed"
        if node == "lb-1" and not command.startswith("systemctl st"):  # gone right after the heal
            return 255, "Connection refused"
        return (0, "2: eth0 inet 10.20.0.10/24") if command.startswith("ip ") else (0, "")

    ssh, _ = driver(answer)
    injected = ssh.inject(Fault("stop", Selector("balancer", "one")))
    ssh.heal(injected)
    assert injected.heal_failures == [
        "lb-1: start the service failed while healing: lb-1: `systemctl start apache2` exited with 1: Job failed"]
    assert "lb-1 is unreachable: ssh to lb1.staging.acme.example failed: Connection refused" in \
        NodesHealthy(ssh.access).problems()
    assert VipsHeldOnce(ssh.access).problems() == ["the database VIP 10.20.0.20 is held by no node"]


def test_a_failing_inject_heals_what_it_did():
    ssh, ran = driver(lambda node, command: (1, "refused") if node == "db-2" and " -I " in command else (0, ""))
    with pytest.raises(RuntimeError, match="db-2: iptables -I .* failed: refused"):
        ssh.inject(Fault("partition", Selector("database", "all")))
    assert any(node == "db-1" and command.startswith("iptables -D INPUT") for node, command in ran)


def test_a_scenario_the_target_cannot_take_is_refused_with_the_reason(capsys):
    code = main(["drill", "--target", str(STAGING), "--scenario", "two-middleware-nodes-killed", "--dry-run"])
    assert code == 2
    assert "no two nodes can fail while pool oxcluster keeps a member" in capsys.readouterr().err


def test_node_usage_over_ssh_is_read_from_proc_on_every_node_that_answers():
    def answer(node, command):
        if node.startswith("db"):
            return 255, "ssh: connect to host: Connection refused"
        return 0, "cpu  300 0 100 5000 0 0 0 0 0 0\n100\n4096\n"

    faults, ran = driver(answer)
    usage = faults.access.usage()
    assert usage and all(u.cpu_seconds == 4.0 and u.memory_bytes == 4096 for u in usage.values())
    assert not any(name.startswith("db") for name in usage), "an unreachable node is left out, not guessed"
    assert all("/proc/stat" in command for _, command in ran)
