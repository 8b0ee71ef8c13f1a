"""SSH node access and the fault driver over SSH against real sshd nodes: they log in with the target's
key, read a node's file, cut two nodes off from each other with the catalogue's iptables steps, prove
from inside the nodes that the partition took effect, heal it, find the VIP holder, and name a VIP held
twice.
"""

from __future__ import annotations

import io
import subprocess

import pytest

from harness.backends.docker import images
from harness.backends.ssh import SshAccess
from harness.checks.cluster_state import VipsHeldOnce
from harness.faults.catalogue import Fault, Selector
from harness.faults.drivers import ssh_faults
from harness.models.target_file import DrillNode, DrillSettings

pytestmark = pytest.mark.integration

IMAGE = images.image("test-sshnode")
DOCKERFILE = f"""
FROM {images.DEBIAN_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends openssh-server iptables iproute2 procps \\
 && rm -rf /var/lib/apt/lists/* && mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh
CMD ["/usr/sbin/sshd", "-D", "-e"]
"""
VIP = "10.199.0.1"


@pytest.fixture(scope="module")
def ssh_nodes(docker_client, tmp_path_factory):
    """Two sshd containers that accept a key made for this test; their addresses and the key."""
    images.ensure_debian_base(docker_client, lambda message: None)
    docker_client.images.build(fileobj=io.BytesIO(DOCKERFILE.encode()), tag=IMAGE, rm=True)
    key = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    public = key.with_suffix(".pub").read_text()
    containers = []
    try:
        for _ in range(2):
            container = docker_client.containers.run(IMAGE, detach=True, cap_add=["NET_ADMIN"],
                                                     labels={"io.oxh.test": "ssh-driver"})
            containers.append(container)
            container.exec_run(["sh", "-c", f"printf '%s' '{public.strip()}' > /root/.ssh/authorized_keys"])
        for container in containers:
            container.reload()
        yield [c.attrs["NetworkSettings"]["IPAddress"] for c in containers], str(key), containers
    finally:
        for container in containers:
            container.remove(force=True)


@pytest.fixture
def driver(ssh_nodes):
    addresses, key, _ = ssh_nodes
    settings = DrillSettings(
        ssh_identity=key,
        ssh_options=["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "LogLevel=ERROR"],
        nodes=[DrillNode(name=f"db-{i + 1}", role="database", host=address, service="mariadb")
               for i, address in enumerate(addresses)],
        vips={"database": VIP},
    )
    return ssh_faults(SshAccess(settings, "ssh-test"), settings)


def reaches(container, address: str) -> bool:
    """Whether `container` opens a TCP connection to sshd on `address` within two seconds."""
    probe = f"exec 3<>/dev/tcp/{address}/22"
    return container.exec_run(["timeout", "2", "bash", "-c", probe]).exit_code == 0


def test_a_partition_cuts_the_nodes_off_from_each_other_and_the_heal_undoes_it(ssh_nodes, driver):
    addresses, _, containers = ssh_nodes
    assert reaches(containers[0], addresses[1]) and reaches(containers[1], addresses[0])
    injected = driver.inject(Fault("partition", Selector("database", "all")))
    try:
        assert injected.not_in_effect == [] and len(injected.took_effect) == 2, injected
        assert not reaches(containers[0], addresses[1]) and not reaches(containers[1], addresses[0])
    finally:
        driver.heal(injected)
    assert reaches(containers[0], addresses[1]) and reaches(containers[1], addresses[0])
    rules = containers[0].exec_run(["iptables", "-S"]).output.decode()
    assert "oxh-fault" not in rules


def test_the_vip_holder_is_found_over_ssh_and_a_doubled_vip_is_named(ssh_nodes, driver):
    _, _, containers = ssh_nodes
    add = ["ip", "addr", "add", f"{VIP}/32", "dev", "eth0"]
    assert containers[1].exec_run(add).exit_code == 0
    try:
        assert driver.nodes(Fault("kill", Selector("database", "write_master"))) == ["db-2"]
        assert VipsHeldOnce(driver.access).problems() == []
        assert containers[0].exec_run(add).exit_code == 0
        problems = VipsHeldOnce(driver.access).problems()
        assert len(problems) == 1 and "held by 2 nodes at once (db-1, db-2)" in problems[0]
    finally:
        for container in containers:
            container.exec_run(["ip", "addr", "del", f"{VIP}/32", "dev", "eth0"])


def test_node_access_over_ssh_reads_a_nodes_files_and_runs_its_commands(ssh_nodes, driver):
    _, _, containers = ssh_nodes
    hostname = containers[0].exec_run(["hostname"]).output.decode().strip()
    assert driver.access.read_file("db-1", "/etc/hostname").strip() == hostname
    assert driver.access.read_file("db-1", "/no/such/file") is None
    result = driver.access.exec("db-2", "echo out; exit 3")
    assert (result.exit_code, result.output.strip()) == (3, "out")
