"""Endpoints of a target, whichever backend it has: what fixtures, clients and checks connect to.

A docker target is the running reference topology of a project (ports on
127.0.0.1, secrets from the project's state, node access to its
containers); a remote target comes from a target file, with its secrets from
the environment, and node access over SSH when it is a staging target with a
drill section. An acceptance target gives no node access.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harness.backends.access import NodeAccess
from harness.backends.docker.access import DockerAccess
from harness.backends.docker.cluster import DockerCluster
from harness.backends.docker.engine import connect
from harness.backends.ssh import SshAccess
from harness.clients.mysql import MySQLEndpoint
from harness.clients.provisioning import Credentials
from harness.errors import UserError
from harness.topology.layout import Layout
from harness.topology.target import DrillSettings, RemoteTarget


@dataclass
class Endpoints:
    name: str
    kind: str  # docker or remote
    use: str  # ci, acceptance or staging
    http_url: str
    soap_url: str
    tls: bool | str
    master: Credentials
    imap: list[tuple[str, int]]
    smtp: tuple[str, int]
    databases: list[MySQLEndpoint]
    mail_domain: str
    database_write: MySQLEndpoint | None = None  # the write address, to see which master holds it
    preferred_write_master: str | None = None
    public_url: str = ""  # as an ordinary client outside the admin networks reaches it
    access: NodeAccess | None = None  # with the capabilities its backend offers (harness.backends.capabilities)
    drill: DrillSettings | None = None
    thresholds: dict[str, dict] = field(default_factory=dict)  # scenario -> threshold overrides
    hung_member_note: str = ""  # what a member that stops answering costs its users on this target
    load_allowed: bool = True  # a remote target allows load only when its file says so
    load_max_users: int | None = None  # the cap its file sets on load users
    load_slos: dict[str, dict] = field(default_factory=dict)  # request class -> SLO replacing the profile's

    @property
    def target_kind(self) -> str:
        """docker, remote or staging: the catalogue's required set is chosen by it."""
        if self.kind == "docker":
            return "docker"
        return "staging" if self.use == "staging" else "remote"

    @property
    def layout(self) -> Layout | None:
        return self.access.layout if self.access is not None else None

    @property
    def pools(self) -> dict[str, list[str]]:
        """Pool -> routes of its members, where the target says which nodes exist."""
        layout = self.layout
        if layout is None:
            return {}
        return {pool: [node.route for node in layout.pool_members(pool) if node.route] for pool in layout.pools}

    @property
    def read_only(self) -> bool:
        """Only the throw-away reference topology may be changed beyond the run's own users."""
        return self.kind != "docker"

    @property
    def harness_is_admin_client(self) -> bool:
        """Whether the harness reaches /webservices through the users' URL: then it sits in an admin network."""
        return urlsplit(self.soap_url).netloc == urlsplit(self.public_url or self.http_url).netloc

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

    check_account = ("oxh_check", secrets["mysql_check"])
    write_host, _, write_port = found.get("mysql_write", "").partition(":")
    access = DockerAccess(cluster)
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
        databases=[MySQLEndpoint(node.name, *local(node.name, 3306), *check_account)
                   for node in topology.database.nodes],
        database_write=MySQLEndpoint("write VIP", write_host, int(write_port), *check_account) if write_port else None,
        preferred_write_master=access.layout.vip_of("database").preferred if access.layout.vip_of("database") else None,
        mail_domain=topology.mail_domain,
        access=access,
        thresholds={name: t.overrides() for name, t in topology.failover_thresholds.items()},
        hung_member_note=hung_member_note(topology),
    )


def hung_member_note(topology) -> str:
    """What a groupware member that accepts connections but never answers costs its users here."""
    timeout = topology.pools["oxcluster"].member.timeout if "oxcluster" in topology.pools else None
    watch = topology.balancer.member_watch
    if watch is None:
        return (f"This topology has no member watch, as OX ships it: a hung member keeps its users' requests "
                f"until the member timeout ({timeout} s), and its sticky users wait that long.")
    return (f"The balancers take a member that stops answering out within {watch.detection_seconds:g} s "
            f"(member watch: {watch.fails} checks of {watch.timeout:g} s every {watch.interval:g} s); "
            f"the member timeout stays {timeout} s for long requests.")


def from_target(target: RemoteTarget) -> Endpoints:
    master = Credentials(target.master_admin.login, target.master_admin.password("master_admin"))
    databases = [
        MySQLEndpoint(db.name, db.host, db.port, db.account.login, db.account.password(f"databases[{db.name}]"))
        for db in target.databases
    ]
    write = None
    if target.database_write and databases:
        first = databases[0]
        write = MySQLEndpoint("write address", target.database_write.host, target.database_write.port,
                              first.user, first.password)
    staging = target.use == "staging" and target.drill is not None
    return Endpoints(
        name=target.name,
        kind="remote",
        use=target.use,
        http_url=str(target.http_url).rstrip("/"),
        soap_url=str(target.soap_url or target.http_url).rstrip("/"),
        tls=target.tls,
        master=master,
        imap=[(item.host, item.port) for item in target.imap],
        smtp=(target.smtp.host, target.smtp.port),
        databases=databases,
        database_write=write,
        preferred_write_master=target.preferred_write_master or (databases[0].name if databases else None),
        public_url=str(target.public_url or target.http_url).rstrip("/"),
        mail_domain=target.mail_domain,
        access=SshAccess(target.drill, target.name) if staging else None,
        drill=target.drill,
        thresholds={name: t.overrides() for name, t in target.failover_thresholds.items()},
        load_allowed=target.load == "allowed",
        load_max_users=target.load_max_users,
        load_slos={name: slo.model_dump() for name, slo in target.load_slos.items()},
    )
