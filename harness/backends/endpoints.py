"""Endpoints of a target, whichever backend it has: what fixtures and clients connect to.

A docker target is the running reference topology of a project (ports on
127.0.0.1, secrets from the project's state); a remote target comes from a
target file, with its secrets from the environment. Only the docker target
offers node access (`cluster`), for checks that look inside containers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.backends.docker.cluster import DockerCluster
from harness.backends.docker.engine import connect
from harness.clients.mysql import MySQLEndpoint
from harness.clients.provisioning import Credentials
from harness.errors import UserError
from harness.topology.model import Topology
from harness.topology.target import RemoteTarget


@dataclass
class Endpoints:
    name: str
    kind: str
    use: str
    http_url: str
    soap_url: str
    tls: bool | str
    master: Credentials
    imap: list[tuple[str, int]]
    smtp: tuple[str, int]
    databases: list[MySQLEndpoint]
    mail_domain: str
    pools: dict[str, list[str]] = field(default_factory=dict)
    cluster: DockerCluster | None = None
    topology: Topology | None = None
    thresholds: dict[str, dict] = field(default_factory=dict)  # scenario -> threshold overrides

    @property
    def read_only(self) -> bool:
        """Only the throw-away reference topology may be changed beyond the run's own users."""
        return self.kind != "docker"

    def secrets(self) -> list[str]:
        values = [self.master.password, *(db.password for db in self.databases)]
        return [value for value in values if value]


def from_project(project: str) -> Endpoints:
    cluster = DockerCluster(project, connect())
    topology = cluster.state.topology()
    found = cluster.endpoints() if topology else {}
    if topology is None or "http" not in found:
        raise UserError(f"project {project!r} is not running", f"start it with `oxh up --project {project}`")
    secrets = cluster.state.secrets()

    def local(node: str, port: int) -> tuple[str, int]:
        host, _, number = found[f"{node}:{port}"].partition(":")
        return host, int(number)

    return Endpoints(
        name=f"{topology.name} (project {project})",
        kind="docker",
        use="ci",
        http_url=found["http"],
        soap_url=found["http"],
        tls=False,
        master=Credentials("oxadminmaster", secrets["admin_master"]),
        imap=[local(node.name, 143) for node in topology.imap.nodes],
        smtp=local(topology.mta.nodes[0].name, 25),
        databases=[
            MySQLEndpoint(node.name, *local(node.name, 3306), "oxh_check", secrets["mysql_check"])
            for node in topology.database.nodes
        ],
        mail_domain=topology.mail_domain,
        pools={name: [member.route for member in topology.pool_members(name)] for name in topology.pools},
        cluster=cluster,
        topology=topology,
        thresholds={name: t.overrides() for name, t in topology.failover_thresholds.items()},
    )


def from_target(target: RemoteTarget) -> Endpoints:
    return Endpoints(
        name=target.name,
        kind="remote",
        use=target.use,
        http_url=str(target.http_url).rstrip("/"),
        soap_url=str(target.soap_url or target.http_url).rstrip("/"),
        tls=target.tls,
        master=Credentials(target.master_admin.login, target.master_admin.password("master_admin")),
        imap=[(item.host, item.port) for item in target.imap],
        smtp=(target.smtp.host, target.smtp.port),
        databases=[
            MySQLEndpoint(db.name, db.host, db.port, db.account.login, db.account.password(f"databases[{db.name}]"))
            for db in target.databases
        ],
        mail_domain=target.mail_domain,
        thresholds={name: t.overrides() for name, t in target.failover_thresholds.items()},
    )
