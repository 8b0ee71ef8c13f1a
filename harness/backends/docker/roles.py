"""How each role runs as a container: image, capabilities, devices, ports, environment, readiness.

Capabilities are added one by one (this machine refuses --privileged); the
readiness probe is a shell command run inside the container, with a sentence
saying what it waits for, shown while `oxh up` waits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.backends.docker.configs import FILESTORE_EXPORT, MAIL_EXPORT
from harness.backends.docker.images import IMAGE_OF_ROLE
from harness.models.topology import Node, Topology

VRRP_CAPS = ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"]
FUSE_CAPS = ["SYS_ADMIN"]


@dataclass(frozen=True)
class Probe:
    waits_for: str
    command: str


@dataclass
class ContainerSpec:
    image: str
    cap_add: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    security_opt: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, str] = field(default_factory=dict)
    probe: Probe | None = None


def _fuse_client() -> dict:
    return {
        "cap_add": FUSE_CAPS,
        "devices": ["/dev/fuse:/dev/fuse:rwm"],
        "security_opt": ["apparmor=unconfined"],
    }


def spec_for(role: str, node: Node, topology: Topology, secrets: dict[str, str], project: str) -> ContainerSpec:
    image = IMAGE_OF_ROLE[role]
    nfs = str(topology.filestore.nodes[0].address)
    if role == "balancer":
        return ContainerSpec(
            image,
            cap_add=VRRP_CAPS,
            ports=[topology.balancer.http_port],
            probe=Probe(
                f"Apache answering on :{topology.balancer.http_port}",
                f"nc -z 127.0.0.1 {topology.balancer.http_port}",
            ),
        )
    if role == "database":
        replicating = (
            " && mariadb --protocol=socket -e 'SHOW SLAVE STATUS\\G' | grep -q 'Slave_IO_Running: Yes'"
            " && mariadb --protocol=socket -e 'SHOW SLAVE STATUS\\G' | grep -q 'Slave_SQL_Running: Yes'"
            if len(topology.database.nodes) > 1
            else ""
        )
        return ContainerSpec(
            image,
            cap_add=VRRP_CAPS,
            ports=[3306],
            probe=Probe(
                "MariaDB answering and replicating from its peer",
                "mariadb --protocol=socket -N -e 'SELECT 1' >/dev/null" + replicating,
            ),
        )
    if role == "filestore":
        return ContainerSpec(
            image,
            cap_add=["DAC_READ_SEARCH"],
            security_opt=["seccomp=unconfined"],
            volumes={f"{project}-{node.name}-exports": "/srv/nfs"},
            probe=Probe("nfs-ganesha listening on :2049", "nc -z 127.0.0.1 2049"),
        )
    if role == "imap":
        return ContainerSpec(
            image,
            ports=[143],
            environment={"OXH_NFS_SERVER": nfs, "OXH_NFS_EXPORT": MAIL_EXPORT,
                         "OXH_IMAP_PEERS": " ".join(f"{peer.name}={peer.address}" for peer in topology.imap.nodes)},
            probe=Probe(
                "mail storage mounted, IMAP on :143 and LMTP on :24",
                "mountpoint -q /var/vmail && nc -z 127.0.0.1 143 && nc -z 127.0.0.1 24",
            ),
            **_fuse_client(),
        )
    if role == "mta":
        return ContainerSpec(image, ports=[25], probe=Probe("Postfix listening on :25", "nc -z 127.0.0.1 25"))
    if role == "middleware":
        port = topology.middleware.port
        return ContainerSpec(
            image,
            ports=[port],
            environment={
                "OXH_NFS_SERVER": nfs,
                "OXH_NFS_EXPORT": FILESTORE_EXPORT,
                "OXH_DB_PASSWORD": secrets["mysql_app"],
                "OXH_IMAP_MASTER_PASSWORD": secrets["imap_master"],
                "OX_MASTER_ADMIN": "oxadminmaster",
                "OX_MASTER_PASSWORD": secrets["admin_master"],
            },
            probe=Probe(
                "/health reporting UP (database, IMAP and filestore reachable)",
                "python3 -c \"import json,sys,urllib.request as u; "
                f"sys.exit(json.load(u.urlopen('http://127.0.0.1:{port}/health', timeout=2))['status'] != 'UP')\"",
            ),
            **_fuse_client(),
        )
    raise ValueError(f"unknown role {role!r}")


def edge_spec(topology: Topology) -> ContainerSpec:
    """The edge forwards the VIPs (which Docker cannot publish) to ports on the host's loopback."""
    forwards = {
        topology.balancer.http_port: (topology.balancer.vip.address, topology.balancer.http_port),
        3306: (topology.database.write_vip.address, 3306),
    }
    return ContainerSpec(
        IMAGE_OF_ROLE["edge"],
        ports=list(forwards),
        environment={"OXH_FORWARDS": " ".join(f"{port}:{addr}:{dest}" for port, (addr, dest) in forwards.items())},
        probe=Probe("forwards listening", " && ".join(f"nc -z 127.0.0.1 {port}" for port in forwards)),
    )
