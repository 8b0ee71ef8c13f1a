"""Target files: what the suites run against when it is not the reference topology, and what they may do to it.

A target file lists the endpoints of an existing cluster (balancer VIP, SOAP,
IMAP, SMTP, read-only database accounts) and names the environment variables
that hold its secrets; a secret written in the file itself is refused. The
run resolves it, or the running reference project, into one
harness.backends.target.Target.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, Field, field_validator

from harness.errors import UserError
from harness.models.loader import read_yaml, validate
from harness.models.topology import NAME_PATTERN, FailoverThresholds, Strict

ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
# Where a packaged installation keeps what must agree between nodes of a role.
VENDOR_CONFIG_FILES = {
    "balancer": ("/etc/apache2/conf-enabled/proxy_http.conf", "/etc/keepalived/keepalived.conf"),
    "middleware": ("/opt/open-xchange/etc/server.properties", "/opt/open-xchange/etc/configdb.properties",
                   "/opt/open-xchange/etc/hazelcast.properties"),
    "imap": ("/etc/dovecot/dovecot.conf",),
}
SECRET_KEYS = re.compile(r"(password|passwd|secret|token)$", re.I)
Use = Literal["ci", "acceptance", "staging"]


class HostPort(Strict):
    host: str
    port: int = Field(ge=1, le=65535)


class Account(Strict):
    login: str
    password_env: str = Field(pattern=ENV_NAME, description="Environment variable holding the password.")

    def password(self, where: str) -> str:
        value = os.environ.get(self.password_env)
        if value is None:
            raise UserError(f"{where}: the environment variable {self.password_env} is not set",
                            f"export {self.password_env}=... before running")
        return value


class Database(Strict):
    name: str
    host: str
    port: int = 3306
    account: Account


class DrillNode(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    role: Literal["balancer", "middleware", "database", "filestore", "imap", "mta"]
    host: str
    service: str = Field(description="systemd unit of the component on that host, e.g. apache2")
    interface: str = "eth0"
    pools: list[str] = Field(default_factory=list, description="balancer pools a middleware node serves")
    route: str | None = Field(default=None, description="JSESSIONID route of a middleware node (e.g. APP1)")
    priority: int | None = Field(default=None, ge=1, le=254,
                                 description="keepalived priority of a node holding a VIP; the highest is preferred")


class DrillSettings(Strict):
    """How `oxh drill` reaches the nodes of a staging cluster."""

    ssh_user: str = "root"
    ssh_port: int = 22
    ssh_identity: str | None = Field(default=None, description="private key to log in with (default: ssh's own)")
    ssh_options: list[str] = Field(default_factory=list, description="extra `ssh -o` options, e.g. UserKnownHostsFile=...")
    nodes: list[DrillNode] = Field(min_length=1)
    vips: dict[str, str] = Field(default_factory=dict, description="role -> VIP address, to find the holder")
    commands: dict[str, tuple[list[str], list[str]]] = Field(
        default_factory=dict, description="kind -> ([inject commands], [heal commands]) overriding the defaults")
    pool_paths: dict[str, list[str]] = Field(
        default_factory=dict, description="pool -> paths it serves, where they differ from OX's proxy_http.conf")
    config_files: dict[str, list[str]] = Field(
        default_factory=lambda: {role: list(files) for role, files in VENDOR_CONFIG_FILES.items()},
        description="role -> configuration files that must agree on every node of the role")

    def node(self, name: str) -> DrillNode:
        return next(node for node in self.nodes if node.name == name)


class LoadSlo(Strict):
    """A customer's own SLO for one request class of the load profiles (as in loadprofiles/*.yaml)."""

    p95_ms: float = Field(gt=0)
    p99_ms: float = Field(gt=0)
    max_error_ratio: float = Field(ge=0, le=1)


class TargetFile(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    kind: Literal["remote"] = "remote"
    use: Use = "acceptance"
    description: str = ""
    http_url: AnyHttpUrl = Field(description="URL of the balancer VIP (where users reach OX App Suite).")
    soap_url: AnyHttpUrl | None = Field(default=None, description="Base URL of /webservices; default http_url.")
    verify_tls: bool = True
    ca_bundle: str | None = Field(default=None, description="CA file for TLS verification, outside the repository.")
    master_admin: Account
    imap: list[HostPort] = Field(min_length=1)
    smtp: HostPort
    databases: list[Database] = Field(default_factory=list, description="Read-only accounts, one per master.")
    database_write: HostPort | None = Field(
        default=None, description="The write address (VIP) the middleware writes to, reached with the first "
                                  "database account: shows which master holds it.")
    preferred_write_master: str | None = Field(
        default=None, description="Name of the database the design wants writes on (default: the first listed).")
    public_url: AnyHttpUrl | None = Field(
        default=None, description="The URL as an ordinary client outside the admin networks reaches it "
                                  "(default http_url); administrative endpoints must refuse it.")
    mail_domain: str
    drill: DrillSettings | None = Field(default=None, description="Only for targets marked staging.")
    load: Literal["allowed", "forbidden"] = Field(
        default="forbidden", description="allowed: the load suite and `oxh load --confirm NAME` may run against it")
    load_max_users: int = Field(default=50, ge=1, description="the most users a load run may start against it")
    load_slos: dict[str, LoadSlo] = Field(
        default_factory=dict, description="request class (or default) -> SLO replacing the load profile's")
    failover_thresholds: dict[str, FailoverThresholds] = Field(
        default_factory=dict, description="Per scenario name, the customer's own thresholds.")

    @field_validator("ca_bundle")
    @classmethod
    def _ca_exists(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).exists():
            raise ValueError(f"CA file {value} does not exist")
        return value

    @property
    def tls(self) -> bool | str:
        return self.ca_bundle or self.verify_tls


def load_target_file(path: str | Path) -> TargetFile:
    path = Path(path)
    if not path.exists():
        raise UserError(f"target file {path} not found", "give the path of a target file (see topologies/examples/)")
    source = read_yaml(path, example="topologies/examples/customer-acceptance.yaml")
    clear = list(secrets_in_clear(source.data))
    if clear:
        raise UserError(
            "secrets must not be written in a target file:\n" + "\n".join(source.located(f"{where}: a secret in clear")
                                                                           for where in clear),
            "remove them and name an environment variable instead (password_env: OX_MASTER_PASSWORD)",
        )
    return validate(TargetFile, source, "target file", "correct the keys named above")


def secrets_in_clear(data: object, path: str = "") -> list[str]:
    """Key paths whose name says secret and whose value is given (not an *_env reference)."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if SECRET_KEYS.search(str(key)) and value not in (None, ""):
                found.append(where)
            else:
                found += secrets_in_clear(value, where)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += secrets_in_clear(value, f"{path}[{index}]")
    return found

