"""Render each node's configuration files from topologies/templates/ and the topology model.

The result is a mapping from the path inside the container to the file's
content; the backend copies it into the container before it starts.
"""

from __future__ import annotations

import io
import tarfile
import time
from typing import Any

import jinja2

from harness import resources
from harness.models.topology import Node, Topology

TEMPLATE_DIR = resources.topologies_dir() / "templates"

FILESTORE_EXPORT = "/srv/nfs/filestore"
MAIL_EXPORT = "/srv/nfs/mail"
EXPORTS = [{"id": 1, "path": FILESTORE_EXPORT}, {"id": 2, "path": MAIL_EXPORT}]

# role -> [(template, path in the container)]
FILES: dict[str, list[tuple[str, str]]] = {
    "balancer": [
        ("proxy_http.conf.j2", "/etc/apache2/conf-enabled/proxy_http.conf"),
        ("keepalived.conf.j2", "/etc/keepalived/keepalived.conf"),
        ("member-watch.conf.j2", "/etc/oxh/member-watch.conf"),
        ("member-watch.env.j2", "/etc/oxh/member-watch.env"),
    ],
    "database": [
        ("my.cnf.j2", "/etc/mysql/mariadb.conf.d/90-oxh.cnf"),
        ("db-init.sql.j2", "/etc/oxh/init.sql"),
        ("keepalived.conf.j2", "/etc/keepalived/keepalived.conf"),
        ("db-firewall.rules.j2", "/etc/oxh/firewall.rules"),
    ],
    "filestore": [("ganesha.conf.j2", "/etc/ganesha/ganesha.conf")],
    "imap": [
        ("dovecot.conf.j2", "/etc/dovecot/dovecot.conf"),
        ("dovecot-sql.conf.ext.j2", "/etc/dovecot/dovecot-sql.conf.ext"),
        ("dovecot-master-users.j2", "/etc/dovecot/master-users"),
    ],
    "mta": [("postfix-main.cf.j2", "/etc/postfix/main.cf")],
    "middleware": [("middleware.json.j2", "/etc/oxh/middleware.json")],
}


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_node(topology: Topology, role: str, node: Node, secrets: dict[str, str]) -> dict[str, str]:
    env = environment()
    context = {"t": topology, "node": node, "secrets": secrets, **_role_context(topology, role, node)}
    return {dest: env.get_template(template).render(context) for template, dest in FILES.get(role, [])}


def _role_context(topology: Topology, role: str, node: Any) -> dict[str, Any]:
    if role == "balancer":
        mounts = [(path, name) for name, pool in topology.pools.items() for path in pool.paths]
        mounts.sort(key=lambda item: len(item[0]), reverse=True)
        return {
            "mounts": mounts,
            "admin_sources": admin_side(topology),
            "vip": topology.balancer.vip,
            "instance": "VI_BALANCER",
            "check": "/usr/bin/pgrep -x apache2",
        }
    if role == "database":
        nodes = topology.database.nodes
        users = [*topology.middleware.nodes, *topology.imap.nodes, *(peer for peer in nodes if peer.name != node.name)]
        return {
            "database_clients": [str(user.address) for user in users] + admin_side(topology),
            "offset": nodes.index(node) + 1,
            "peers": [peer for peer in nodes if peer.name != node.name],
            "vip": topology.database.write_vip,
            "instance": "VI_DB_WRITE",
            "check": "/usr/bin/pgrep -x mariadbd",
        }
    if role == "filestore":
        return {"exports": EXPORTS}
    return {}


def admin_side(topology: Topology) -> list[str]:
    """Where administrators and the harness come from: the edge (which forwards the VIPs from the host), the
    engine's gateway (published ports) and the topology's admin networks."""
    return [str(topology.network.edge), str(topology.network.gateway)] + [
        str(net) for net in topology.balancer.admin_networks]


def as_archive(files: dict[str, str]) -> bytes:
    """Rendered files (path in the container -> content) as a tar archive to copy into the container;
    SQL files readable by their owner only."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(data)
            info.mode = 0o600 if path.endswith(".sql") else 0o644
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
