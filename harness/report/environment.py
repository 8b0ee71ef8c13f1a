"""Versions of every component of a docker target, read from its containers, for the report."""

from __future__ import annotations

from harness.backends.docker.cluster import DockerCluster

VERSION_COMMANDS = {
    "balancer": ("Apache / keepalived", "apache2 -v | head -n1; keepalived --version 2>&1 | head -n1"),
    "database": ("MariaDB", "mariadb --version"),
    "filestore": ("nfs-ganesha", "dpkg-query -W -f='nfs-ganesha ${Version}' nfs-ganesha"),
    "imap": ("Dovecot", "echo dovecot $(dovecot --version)"),
    "mta": ("Postfix", "echo postfix $(postconf -h mail_version)"),
    "middleware": ("reference middleware", "python3 -c 'import aiohttp, sys; print(\"oxref on Python\", sys.version.split()[0], \"aiohttp\", aiohttp.__version__)'"),
}


def component_versions(cluster: DockerCluster) -> dict[str, str]:
    versions: dict[str, str] = {}
    seen_roles: set[str] = set()
    for container in cluster.containers():
        role = container.labels.get("io.oxh.role", "")
        if role in seen_roles or role not in VERSION_COMMANDS or container.status != "running":
            continue
        seen_roles.add(role)
        label, command = VERSION_COMMANDS[role]
        result = container.exec_run(["sh", "-c", command])
        versions[label] = " / ".join(line.strip() for line in result.output.decode(errors="replace").splitlines() if line.strip())
    return dict(sorted(versions.items()))
