"""Node access: how fixtures, reports, fault drivers and node-level checks reach a cluster's nodes.

One protocol with two implementations: the Docker backend (containers of a
reference project) and SSH (the hosts of a staging target). Nothing above
`harness/backends` needs to know which one it holds.

Exceptions: `NodeUnreachable` when a node cannot be asked at all (its
container is gone, SSH fails to connect); a command that ran and failed is
an `ExecResult` with its exit code, not an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from harness.models.layout import Layout

# Per role, a label and the shell command that prints the version of what the node runs.
VERSION_COMMANDS = {
    "balancer": ("Apache / keepalived", "apache2 -v | head -n1; keepalived --version 2>&1 | head -n1"),
    "database": ("MariaDB", "mariadb --version"),
    "filestore": ("nfs-ganesha", "dpkg-query -W -f='nfs-ganesha ${Version}' nfs-ganesha"),
    "imap": ("Dovecot", "echo dovecot $(dovecot --version)"),
    "mta": ("Postfix", "echo postfix $(postconf -h mail_version)"),
    "middleware": ("middleware", "if [ -d /opt/open-xchange ]; then dpkg-query -W -f='open-xchange ${Version}' "
                   "open-xchange-core; else python3 -c 'import aiohttp, json, sys; print(\"oxref on Python\", "
                   "sys.version.split()[0], \"aiohttp\", aiohttp.__version__, \"workers\", json.load(open("
                   "\"/etc/oxh/middleware.json\")).get(\"workers\", \"auto\"))'; fi"),
}


class NodeUnreachable(Exception):
    """The node could not be asked (gone, stopped, no SSH connection)."""

    def __init__(self, node: str, reason: str):
        super().__init__(f"{node}: {reason}")
        self.node, self.reason = node, reason


@dataclass(frozen=True)
class ExecResult:
    node: str
    exit_code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class Usage:
    """A node's resource use as it stands: CPU seconds spent since it started, memory in use now."""

    cpu_seconds: float
    memory_bytes: int


@runtime_checkable
class NodeAccess(Protocol):
    """What may be done on the nodes of one cluster."""

    description: str  # e.g. "docker project oxh", "ssh to staging-acme"
    layout: Layout

    def exec(self, node: str, script: str, timeout: float = 30.0) -> ExecResult:
        """Run a shell script on the node (as root); its exit code and combined output."""

    def read_file(self, node: str, path: str) -> str | None:
        """A file's text, or None when it does not exist or cannot be read."""

    def logs(self, node: str, lines: int = 50) -> str:
        """The last log lines of the node's main service."""

    def health(self) -> dict[str, str]:
        """Per node, "healthy" or what it is waiting for / why it is not."""

    def vip_holders(self) -> dict[str, list[str]]:
        """Per VIP address of the layout, the nodes that hold it now."""

    def published(self, node: str, port: int) -> tuple[str, int] | None:
        """Where the harness reaches a node's service port (host, port), or None."""

    def usage(self) -> dict[str, Usage]:
        """Per node that answers, its CPU seconds so far and memory in use (for per-second sampling)."""


def versions(access: NodeAccess) -> dict[str, str]:
    """The version of each role's software, read on the first node of the role that answers."""
    found: dict[str, str] = {}
    for role, (label, command) in VERSION_COMMANDS.items():
        for name in access.layout.names(role):
            version = read_version(access, name, command)
            if not version.startswith("?:"):
                found[label] = version
                break
    return dict(sorted(found.items()))


def read_version(access: NodeAccess, node: str, command: str) -> str:
    """What the version command prints on the node, as one line, or "?: why" when it could not be read."""
    try:
        result = access.exec(node, command, timeout=15)
    except NodeUnreachable as exc:
        return f"?: could not be asked: {exc.reason}"
    text = " / ".join(line.strip() for line in result.output.splitlines() if line.strip())
    return text if result.ok and text else f"?: did not say ({result.output.strip()[-120:]})"


def release_of_every_node(access: NodeAccess) -> dict[str, dict[str, str]]:
    """Per role's label, each node's version of the role's software, or why it could not be read ("?: ...")."""
    return {label: {name: read_version(access, name, command) for name in access.layout.names(role)}
            for role, (label, command) in VERSION_COMMANDS.items() if access.layout.names(role)}


def holders_in(output: str, vip: str) -> bool:
    """Whether `ip -o -4 addr show` output lists the VIP."""
    return f" {vip}/" in output


# Read on a host over a shell: CPU jiffies of every state but idle and iowait, and memory in use.
HOST_USAGE_COMMAND = ("head -n1 /proc/stat; getconf CLK_TCK; "
                      "awk '/^MemTotal:/{t=$2} /^MemAvailable:/{a=$2} END{print (t-a)*1024}' /proc/meminfo")


def host_usage(output: str) -> Usage | None:
    """The Usage in the output of HOST_USAGE_COMMAND, or None when it is not that."""
    lines = output.split("\n")
    try:
        fields = [int(value) for value in lines[0].split()[1:]]
        ticks = int(lines[1])
        busy = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)
        return Usage(busy / ticks, int(float(lines[2])))
    except (ValueError, IndexError):
        return None
