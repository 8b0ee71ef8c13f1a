"""The target of a run, whichever backend it has: its endpoints, its policy and what its backend can do.

A `Target` has a small face:

- `endpoints`: addresses and credentials, what clients connect to;
- `policy`: what the target allows and demands (load, faults, SLOs,
  thresholds, the write master its design prefers);
- `access`: its backend's node access, offering the capabilities of
  harness.backends.capabilities as runtime-checkable protocols, or None
  where the harness may not reach the nodes (an acceptance target);
- `layout`: the nodes, pools and VIPs, where the target says them.

A docker target is the running reference topology of a project (ports on
127.0.0.1, secrets from the project's state, node access to its
containers); a remote target comes from a target file, with its secrets
from the environment, and node access over SSH when it is a staging target
with a drill section.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal
from urllib.parse import urlsplit

from harness.backends.access import NodeAccess
from harness.backends.docker.access import DockerAccess
from harness.backends.docker.cluster import DockerCluster
from harness.backends.docker.engine import connect
from harness.backends.ssh import SshAccess
from harness.clients.mysql import MySQLEndpoint
from harness.clients.provisioning import Credentials
from harness.errors import UserError
from harness.models.layout import Layout
from harness.models.target_file import DrillSettings, TargetFile, load_target_file

FaultPolicy = Literal["allowed", "confirmed", "never"]
RECORD = "target.json"  # the resolved target in a run folder, handed from `oxh qualify` to the suites


@dataclass(frozen=True)
class Endpoints:
    """Addresses and credentials: what the harness's clients connect to."""

    http_url: str
    soap_url: str
    tls: bool | str
    master: Credentials
    imap: list[tuple[str, int]]
    smtp: tuple[str, int]
    databases: list[MySQLEndpoint]
    mail_domain: str
    database_write: MySQLEndpoint | None = None  # the write address, to see which master holds it
    public_url: str = ""  # as an ordinary client outside the admin networks reaches it

    @property
    def harness_is_admin_client(self) -> bool:
        """Whether the harness reaches /webservices through the users' URL: then it sits in an admin network."""
        return urlsplit(self.soap_url).netloc == urlsplit(self.public_url or self.http_url).netloc

    def secrets(self) -> list[str]:
        values = [self.master.password, *(db.password for db in self.databases)]
        return [value for value in values if value]


@dataclass(frozen=True)
class Policy:
    """What the target allows and demands, from its target file or the reference topology's design."""

    use: str  # ci, acceptance or staging
    faults: FaultPolicy  # allowed (the throw-away reference), confirmed (staging, --confirm NAME) or never
    thresholds: dict[str, dict] = field(default_factory=dict)  # scenario -> threshold overrides
    load_allowed: bool = True  # a remote target allows load only when its file says so
    load_max_users: int | None = None  # the cap its file sets on load users
    load_slos: dict[str, dict] = field(default_factory=dict)  # request class -> SLO replacing the profile's
    preferred_write_master: str | None = None  # the database master the design wants writes on
    hung_member_note: str = ""  # what a member that stops answering costs its users on this target

    @property
    def read_only(self) -> bool:
        """Only the throw-away reference topology may be changed beyond the run's own users."""
        return self.faults != "allowed"

    def check_may_change(self, name: str, confirm: str | None, what: str) -> None:
        """Raise UserError unless the target `name` may be changed (`what`: a fault, a sweep) with `confirm`."""
        if self.faults == "never":
            raise UserError(f"target {name} is an {self.use} target: {what} is never done to it",
                            f"{what} runs on the reference topology, or on a staging target with a drill section")
        if self.faults == "confirmed" and confirm != name:
            raise UserError(f"{what} on the {self.use} target {name} needs an explicit confirmation",
                            f"add --confirm {name}")

    def check_load(self, name: str, users: int | None, confirm: str | None) -> None:
        """Raise UserError unless the target `name` allows a load run of `users` (None: the profile's)."""
        if not self.load_allowed:
            raise UserError(f"target {name} does not allow load", "its target file must say `load: allowed`")
        if self.read_only and confirm != name:
            raise UserError(f"load against {name} needs its confirmation", f"add --confirm {name}")
        if users and self.load_max_users and users > self.load_max_users:
            raise UserError(f"{users} users is more than target {name} allows "
                            f"(load_max_users: {self.load_max_users})", "lower --users")


@dataclass(frozen=True)
class Target:
    name: str
    kind: Literal["docker", "remote"]
    design: str  # the topology (docker) or target file (remote) it was built from
    endpoints: Endpoints
    policy: Policy
    access: NodeAccess | None = None  # with the capabilities its backend offers (harness.backends.capabilities)
    drill: DrillSettings | None = None  # a staging target's hosts and own fault commands
    source: str = ""  # the project (docker) or the target file's path (remote) it was resolved from
    middleware_workers: int | Literal["auto"] | None = None  # reference nodes' worker processes; None: OX's one JVM

    @property
    def catalogue_kind(self) -> str:
        """docker, remote or staging: the catalogue's required set is chosen by it."""
        if self.kind == "docker":
            return "docker"
        return "staging" if self.policy.use == "staging" else "remote"

    def record(self) -> dict[str, Any]:
        """The resolved target without its secrets, as the run folder keeps it (RECORD)."""
        endpoints = asdict(self.endpoints)
        endpoints["master"] = {"login": self.endpoints.master.login}
        endpoints["databases"] = [{"name": db.name, "host": db.host, "port": db.port, "user": db.user}
                                  for db in self.endpoints.databases]
        if self.endpoints.database_write is not None:
            write = self.endpoints.database_write
            endpoints["database_write"] = {"name": write.name, "host": write.host, "port": write.port}
        return {"name": self.name, "kind": self.kind, "catalogue_kind": self.catalogue_kind, "design": self.design,
                "source": self.source, "digest": _digest(self.kind, self.source), "endpoints": endpoints,
                "policy": asdict(self.policy), "nodes": self.layout.names() if self.layout else None}

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


def docker_target(project: str) -> Target:
    """The running reference topology of `project`."""
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
    write_vip = access.layout.vip_of("database")
    endpoints = Endpoints(
        http_url=found["http"],
        soap_url=found["http"],
        tls=False,
        master=Credentials("oxadminmaster", secrets["admin_master"]),
        imap=[local(node.name, 143) for node in topology.imap.nodes],
        smtp=local(topology.mta.nodes[0].name, 25),
        databases=[MySQLEndpoint(node.name, *local(node.name, 3306), *check_account)
                   for node in topology.database.nodes],
        database_write=MySQLEndpoint("write VIP", write_host, int(write_port), *check_account) if write_port else None,
        mail_domain=topology.mail_domain,
    )
    policy = Policy(
        use="ci",
        faults="allowed",
        thresholds={name: t.overrides() for name, t in topology.failover_thresholds.items()},
        preferred_write_master=write_vip.preferred if write_vip else None,
        hung_member_note=hung_member_note(topology),
    )
    return Target(f"{topology.name} (project {project})", "docker", topology.name, endpoints, policy, access,
                  source=project, middleware_workers=topology.middleware.workers)


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


def file_policy(file: TargetFile) -> Policy:
    """What a target file allows and demands; needs none of its secrets, so it is checked before they are read."""
    staging = file.use == "staging" and file.drill is not None
    return Policy(
        use=file.use,
        faults="confirmed" if staging else "never",
        thresholds={name: t.overrides() for name, t in file.failover_thresholds.items()},
        load_allowed=file.load == "allowed",
        load_max_users=file.load_max_users,
        load_slos={name: slo.model_dump() for name, slo in file.load_slos.items()},
        preferred_write_master=file.preferred_write_master or (file.databases[0].name if file.databases else None),
    )


def file_target(file: TargetFile, path: str | Path = "") -> Target:
    """The cluster a target file describes, its secrets read from the environment variables it names."""
    master = Credentials(file.master_admin.login, file.master_admin.password("master_admin"))
    databases = [
        MySQLEndpoint(db.name, db.host, db.port, db.account.login, db.account.password(f"databases[{db.name}]"))
        for db in file.databases
    ]
    write = None
    if file.database_write and databases:
        first = databases[0]
        write = MySQLEndpoint("write address", file.database_write.host, file.database_write.port,
                              first.user, first.password)
    endpoints = Endpoints(
        http_url=str(file.http_url).rstrip("/"),
        soap_url=str(file.soap_url or file.http_url).rstrip("/"),
        tls=file.tls,
        master=master,
        imap=[(item.host, item.port) for item in file.imap],
        smtp=(file.smtp.host, file.smtp.port),
        databases=databases,
        database_write=write,
        public_url=str(file.public_url or file.http_url).rstrip("/"),
        mail_domain=file.mail_domain,
    )
    policy = file_policy(file)
    access = SshAccess(file.drill, file.name) if policy.faults == "confirmed" else None
    return Target(file.name, "remote", file.name, endpoints, policy, access, file.drill,
                  source=str(Path(path).resolve()) if path else "")


Check = Callable[[str, Policy], None]  # raises UserError when the named target's policy forbids the command


def resolve(project: str, target_file: str | None, check: Check | None = None) -> Target:
    """The target a command names: the target file's cluster when one is given, else the running project;
    `check` judges its policy before any secret is read."""
    if target_file:
        file = load_target_file(target_file)
        if check is not None:
            check(file.name, file_policy(file))
        return file_target(file, target_file)
    target = docker_target(project)
    if check is not None:
        check(target.name, target.policy)
    return target


def from_record(path: str | Path) -> Target:
    """The target `oxh qualify` resolved, as its run folder records it: the same project or the same target
    file, unchanged since, with its secrets and node access taken again (secrets never go to disk)."""
    try:
        recorded = json.loads(Path(path).read_text())
        kind, source, name = recorded["kind"], recorded["source"], recorded["name"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"cannot read the resolved target {path}: {exc!r}",
                        "run the suites through `oxh qualify`, which writes it") from None
    target = docker_target(source) if kind == "docker" else file_target(load_target_file(source), source)
    if json.loads(json.dumps(target.record())) != recorded:
        raise UserError(f"target {name} changed since `oxh qualify` resolved it "
                        f"(its {'project' if kind == 'docker' else 'file'} {source})",
                        "run `oxh qualify` again")
    return target


def _digest(kind: str, source: str) -> str:
    """The target file's SHA-256, so that a file changed between resolving and testing is seen."""
    if kind != "remote" or not source:
        return ""
    return hashlib.sha256(Path(source).read_bytes()).hexdigest()
