"""`oxh doctor`: what this machine has and lacks for each use of the harness, each line with its mend.

Uses: `reference` (bring the reference topology up and qualify it: Docker
engine, debootstrap, the host tools the fault driver runs), `acceptance` (a
remote target: the package itself, the OX API spec for the conformance
checks, the target's endpoints reachable), `drill` (SSH client and key),
`browser` (Debian's chromium). Nothing is changed; every check is bounded in
time. Exit code 0 when nothing is missing, 1 otherwise.
"""

from __future__ import annotations

import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from rich.console import Console
from rich.table import Table

from harness import __version__
from harness.errors import UserError

CONNECT_TIMEOUT = 3.0


@dataclass(frozen=True)
class Check:
    use: str
    what: str
    ok: bool
    detail: str
    mend: str = ""


def python_check() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] == (3, 11)
    return Check("all", "Python", ok, f"{version} at {sys.executable}", "" if ok else "use Python 3.11")


def tool_check(use: str, tool: str, package: str, why: str) -> Check:
    path = shutil.which(tool)
    return Check(use, tool, path is not None, f"{path} ({why})" if path else f"not found ({why})",
                 "" if path else f"apt-get install {package}")


def docker_check() -> Check:
    from harness.backends.docker.engine import connect

    try:
        client = connect(timeout=10)
        version = client.version().get("Version", "?")
        return Check("reference", "Docker engine", True, f"running, version {version}")
    except UserError as exc:
        return Check("reference", "Docker engine", False, exc.message, exc.hint or "")


def api_spec_check() -> Check:
    from harness.checks.conformance import spec_path

    path = spec_path()
    if path.exists():
        return Check("acceptance", "OX HTTP API spec", True, f"{path} (conformance checks)")
    return Check("acceptance", "OX HTTP API spec", False, f"not at {path}: the conformance checks fail without it",
                 "set OXH_API_SPEC to the OpenAPI file (openapi-7.10.3-subset.json)")


def ssh_key_check() -> Check:
    keys = sorted(str(path) for path in (Path.home() / ".ssh").glob("id_*") if not path.name.endswith(".pub"))
    if keys:
        return Check("drill", "SSH key", True, ", ".join(keys))
    return Check("drill", "SSH key", False, "no key in ~/.ssh (a target may name its own: drill.ssh_identity)",
                 "ssh-keygen -t ed25519, and put the public key on the staging nodes")


def chromium_check() -> Check:
    from harness.browser.chromium import INSTALL, BrowserUnavailable, check

    try:
        return Check("browser", "chromium", True, check().describe())
    except BrowserUnavailable as exc:
        return Check("browser", "chromium", False, str(exc), INSTALL)


def reach(use: str, what: str, host: str, port: int) -> Check:
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            return Check(use, what, True, f"{host}:{port} accepts connections")
    except OSError as exc:
        return Check(use, what, False, f"{host}:{port}: {exc.strerror or exc}",
                     "check the address in the target file, DNS and the firewall between here and there")


def target_checks(path: str) -> list[Check]:
    """Every endpoint a target file names, reached with one TCP connection each."""
    from harness.models.target_file import load_target_file

    file = load_target_file(path)
    checks = []
    for what, url in (("balancer (http_url)", file.http_url), ("SOAP (soap_url)", file.soap_url),
                      ("public_url", file.public_url)):
        if url is not None:
            parsed = urlparse(str(url))
            checks.append(reach("acceptance", what, parsed.hostname or "", parsed.port or
                                (443 if parsed.scheme == "https" else 80)))
    checks += [reach("acceptance", f"IMAP {i + 1}", imap.host, imap.port) for i, imap in enumerate(file.imap)]
    checks.append(reach("acceptance", "SMTP", file.smtp.host, file.smtp.port))
    checks += [reach("acceptance", f"database {db.name}", db.host, db.port) for db in file.databases]
    if file.drill:
        checks += [reach("drill", f"SSH {node.name}", node.host, file.drill.ssh_port) for node in file.drill.nodes]
    return checks


def machine_checks() -> list[Check]:
    return [
        python_check(),
        docker_check(),
        tool_check("reference", "debootstrap", "debootstrap", "makes the Debian base image"),
        tool_check("reference", "nsenter", "util-linux", "network faults inside a node"),
        tool_check("reference", "iptables", "iptables", "partitions and latency"),
        tool_check("reference", "tc", "iproute2", "latency where the kernel has sch_netem"),
        api_spec_check(),
        tool_check("drill", "ssh", "openssh-client", "node access on staging targets"),
        ssh_key_check(),
        chromium_check(),
    ]


def run_doctor(console: Console, target: str | None = None) -> int:
    checks = machine_checks() + (target_checks(target) if target else [])
    table = Table(title=f"ox-harness {__version__}: what this machine has", title_justify="left")
    for column in ("use", "check", "", "found", "mend"):
        table.add_column(column, overflow="fold")
    for check in checks:
        mark = "[green]ok[/]" if check.ok else "[red]missing[/]"
        table.add_row(check.use, check.what, mark, check.detail, check.mend)
    console.print(table)
    missing = [check for check in checks if not check.ok]
    uses = sorted({check.use for check in missing})
    console.print(f"{len(missing)} missing" + (f" (for: {', '.join(uses)})" if uses else "; ready for every use"))
    return 1 if missing else 0
