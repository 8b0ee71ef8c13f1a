"""Shared filestore, IMAP and SMTP, monitoring, and configuration drift between nodes of a role."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time

import pytest

from harness.clients import mail
from harness.clients.balancer import node_health, node_metrics


def test_the_filestore_is_shared_by_every_middleware_node(target, node_access):
    """A file written under the filestore mount of one node is read on every other node."""
    nodes = [node.name for node in target.topology.middleware.nodes]
    for writer in nodes:
        name = f"/var/opt/filestore/.oxh-shared-{secrets.token_hex(4)}"
        content = secrets.token_hex(16)
        exec_ok(node_access, writer, f"echo {content} > {name}")
        try:
            for reader in nodes:
                assert read_file(node_access, reader, name) == content, f"{reader} does not see what {writer} wrote"
        finally:
            exec_ok(node_access, writer, f"rm -f {name}")


def exec_ok(cluster, node: str, script: str) -> str:
    result = cluster.client.containers.get(cluster.container_name(node)).exec_run(["sh", "-c", script])
    assert result.exit_code == 0, f"{node}: {result.output.decode(errors='replace')}"
    return result.output.decode(errors="replace")


def read_file(cluster, node: str, path: str, timeout: float = 3.0) -> str | None:
    deadline = time.monotonic() + timeout
    while True:
        result = cluster.client.containers.get(cluster.container_name(node)).exec_run(["cat", path])
        if result.exit_code == 0 or time.monotonic() > deadline:
            return result.output.decode().strip() if result.exit_code == 0 else None
        time.sleep(0.2)


def test_every_imap_server_answers_and_accepts_the_users_login(target, test_context):
    """Each IMAP server announces IMAP4rev1 and lets the run's user log in."""
    user = test_context.users["alice"]
    for host, port in target.imap:
        assert b"IMAP4REV1" in mail.capabilities(host, port)
        with mail.imap_session(host, port, user.email, user.password) as imap:
            assert imap.select_folder("INBOX", readonly=True)[b"EXISTS"] >= 0


def test_smtp_submission_reaches_the_mailbox(target, test_context):
    """A message submitted over SMTP is delivered and readable over IMAP."""
    user = test_context.users["bob"]
    subject = f"smtp check {secrets.token_hex(4)}"
    mail.submit(*target.smtp, f"qa@{target.mail_domain}", user.email, subject, "submitted by ox-harness")
    host, port = target.imap[-1]
    assert mail.wait_for_subject(host, port, user.email, user.password, subject)


def test_contexts_and_users_are_provisioned_over_soap(provisioning, test_context):
    """The run's context and users were made over SOAP and are listed there."""
    assert provisioning.get_context(test_context.cid).name == test_context.name
    from harness.clients.provisioning import Credentials

    admin = Credentials(test_context.admin_login, test_context.admin_password)
    assert {"alice", "bob"} <= {u.name for u in provisioning.list_users(test_context.cid, admin)}


def test_every_middleware_node_reports_health_and_metrics(target, node_access):
    """Each node answers /health UP with its route and /metrics in Prometheus format."""
    endpoints = node_access.endpoints()
    for node in target.topology.middleware.nodes:
        base = f"http://{endpoints[f'{node.name}:{target.topology.middleware.port}']}"
        health = node_health(base)
        assert health["status"] == "UP" and health["route"] == node.route, health
        assert "# TYPE ox_http_requests_total counter" in node_metrics(base)


def normalised(text: str, node, topology) -> str:
    """A config file with what legitimately differs per node (name, address, priority, ids) masked."""
    text = text.replace(node.name, "<node>").replace(str(node.address), "<address>")
    for key in ("priority", "server_id", "gtid_domain_id", "auto_increment_offset", "route"):
        text = re.sub(rf"({key}\s*[=: ]\s*)\S+", r"\1<per-node>", text)
    return text


DRIFT_FILES = {
    "balancer": ["/etc/apache2/conf-enabled/proxy_http.conf", "/etc/keepalived/keepalived.conf"],
    "database": ["/etc/mysql/mariadb.conf.d/90-oxh.cnf"],
    "imap": ["/etc/dovecot/dovecot.conf", "/etc/dovecot/dovecot-sql.conf.ext"],
    "middleware": ["/etc/oxh/middleware.json"],
}


@pytest.mark.parametrize("role", sorted(DRIFT_FILES))
def test_nodes_of_one_role_have_the_same_configuration(target, node_access, role):
    """Config files of the nodes of one role agree once per-node values are masked."""
    nodes = target.topology.tier(role).nodes
    for path in DRIFT_FILES[role]:
        digests = {}
        for node in nodes:
            text = node_access.client.containers.get(node_access.container_name(node.name)).exec_run(["cat", path])
            assert text.exit_code == 0, f"{node.name}: {path} missing"
            masked = normalised(text.output.decode(), node, target.topology)
            if path.endswith(".json"):
                settings = json.loads(text.output)
                for per_node in ("node", "route", "pools"):
                    settings.pop(per_node, None)
                masked = json.dumps(settings, sort_keys=True)
            digests[node.name] = hashlib.sha256(masked.encode()).hexdigest()[:12]
        assert len(set(digests.values())) == 1, f"{path} differs between {role} nodes: {digests}"
