"""Shared filestore, IMAP (shared mail storage) and SMTP, provisioning, monitoring, and configuration
drift between nodes of a role."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from imaplib import IMAP4

import httpx
import pytest

from harness.clients import mail
from harness.clients.balancer import REQUEST_COUNTERS, node_health, node_request_count
from harness.clients.provisioning import Credentials
from harness.wait import last_value

requirement = pytest.mark.requirement
FILESTORE = "/var/opt/filestore"


@requirement("FS-SHARED")
def test_the_filestore_is_shared_by_every_middleware_node(node_access, layout):
    """A file written under the filestore mount of one node is read on every other node."""
    nodes = layout.names("middleware")
    for writer in nodes:
        name = f"{FILESTORE}/.oxh-shared-{secrets.token_hex(4)}"
        content = secrets.token_hex(16)
        written = node_access.exec(writer, f"echo {content} > {name}")
        assert written.ok, f"{writer} cannot write under {FILESTORE}: {written.output.strip()}"
        try:
            for reader in nodes:
                seen = last_value(lambda: node_access.read_file(reader, name), lambda text: text is not None, timeout=3)
                assert (seen or "").strip() == content, f"{reader} does not see what {writer} wrote under {FILESTORE}"
        finally:
            node_access.exec(writer, f"rm -f {name}")


def imap_servers(target) -> list[tuple[str, str, int]]:
    """(name, host, port) of every IMAP server: its node's name where the target says which node it is."""
    names = {}
    if target.access is not None:
        for node in target.layout.names("imap"):
            published = target.access.published(node, 143)
            if published:
                names[published] = node
    return [(f"{names[(host, port)]} ({host}:{port})" if (host, port) in names else f"{host}:{port}", host, port)
            for host, port in target.endpoints.imap]


@requirement("MAIL-IMAP")
def test_every_imap_server_answers_and_shows_the_users_mail(target, test_context):
    """Each IMAP server announces IMAP4rev1, lets the run's user log in, and shows a message delivered to it."""
    user = test_context.users["alice"]
    problems = []
    for name, host, port in imap_servers(target):
        try:
            if b"IMAP4REV1" not in mail.capabilities(host, port):
                problems.append(f"{name} does not announce IMAP4rev1")
                continue
            message_id = f"<imap-{secrets.token_hex(6)}@ox-harness.invalid>"
            with mail.imap_session(host, port, user.email, user.password) as imap:
                uid = mail.append_message(imap, "IMAP check", message_id)
                _, found = mail.uids_of(imap, message_id)
                if found != [uid]:
                    problems.append(f"{name} does not show the message just delivered to it")
                imap.delete_messages(found)
                imap.expunge()
        except (OSError, IMAP4.error) as exc:
            problems.append(f"{name}: {exc}")
    assert not problems, "\n".join(problems)


@requirement("MAIL-SHARED")
def test_a_message_delivered_through_one_imap_server_is_seen_through_every_other(target, test_context):
    """A message delivered through each IMAP server is seen, with the same UID, through each other one."""
    servers = imap_servers(target)
    if len(servers) < 2:
        pytest.skip(f"the target lists {len(servers)} IMAP server; sharing needs two or more")
    user = test_context.users["bob"]
    problems = []
    for name, host, port in servers:
        message_id = f"<shared-{secrets.token_hex(6)}@ox-harness.invalid>"
        try:
            with mail.imap_session(host, port, user.email, user.password) as imap:
                validity, _ = mail.uids_of(imap, message_id)
                uid = mail.append_message(imap, "shared storage check", message_id)
        except (OSError, IMAP4.error) as exc:
            problems.append(f"{name} cannot take a message: {exc}")
            continue
        for other_name, other_host, other_port in servers:
            if other_name == name:
                continue
            try:
                with mail.imap_session(other_host, other_port, user.email, user.password) as imap:
                    other_validity, found = last_value(lambda: mail.uids_of(imap, message_id), lambda seen: seen[1],
                                                       timeout=5)
            except (OSError, IMAP4.error) as exc:
                problems.append(f"{other_name} cannot be read: {exc}")
                continue
            if not found:
                problems.append(f"{other_name} does not see the message delivered through {name}: "
                                "its mail storage is not shared")
            elif found != [uid] or other_validity != validity:
                problems.append(f"{other_name} shows the message delivered through {name} as UID {found} "
                                f"(UIDVALIDITY {other_validity}), not {uid} ({validity})")
        with mail.imap_session(host, port, user.email, user.password) as imap:
            _, found = mail.uids_of(imap, message_id)
            imap.delete_messages(found)
            imap.expunge()
    assert not problems, "\n".join(problems)


@requirement("MAIL-SMTP")
def test_smtp_submission_reaches_the_mailbox(endpoints, test_context):
    """A message submitted over SMTP is delivered and readable over IMAP."""
    user = test_context.users["bob"]
    subject = f"smtp check {secrets.token_hex(4)}"
    mail.submit(*endpoints.smtp, f"qa@{endpoints.mail_domain}", user.email, subject, "submitted by ox-harness")
    host, port = endpoints.imap[-1]
    assert mail.wait_for_subject(host, port, user.email, user.password, subject), \
        f"the message submitted to {endpoints.smtp[0]}:{endpoints.smtp[1]} did not arrive in 30 s"


@requirement("PROV")
def test_contexts_and_users_are_provisioned_over_soap(provisioning, test_context):
    """The run's context and users were made over SOAP and are listed there."""
    assert provisioning.get_context(test_context.cid).name == test_context.name
    admin = Credentials(test_context.admin.login, test_context.admin.password)
    assert {"alice", "bob"} <= {u.name for u in provisioning.list_users(test_context.cid, admin)}


MON_CALLS = 5


@requirement("MON")
def test_every_middleware_node_reports_health_and_metrics(node_access, layout):
    """Each node answers /health UP with its route, and its HTTP API request counter in /metrics moves by at
    least the calls this check sends it: a metric that exists but counts nothing fails."""
    problems = []
    for node in layout.of_role("middleware"):
        published = node_access.published(node.name, layout.middleware_port)
        if not published:
            problems.append(f"{node.name}: port {layout.middleware_port} is not reachable from the harness")
            continue
        base = f"http://{published[0]}:{published[1]}"
        try:
            health, before = node_health(base), node_request_count(base)
            for _ in range(MON_CALLS):
                httpx.get(f"{base}/appsuite/api/config/identifier", params={"session": "oxh-mon-check"}, timeout=5)
            after = node_request_count(base)
        except httpx.HTTPError as exc:
            problems.append(f"{node.name}: /health, /metrics or the API did not answer ({type(exc).__name__})")
            continue
        if health.get("status") != "UP" or health.get("route") != node.route:
            problems.append(f"{node.name}: /health says {health}")
        if after is None:
            problems.append(f"{node.name}: /metrics has no HTTP API request counter ({', '.join(REQUEST_COUNTERS)})")
            continue
        # A labelled counter shows no sample before its first count: absent before is zero.
        moved = after[1] - (before[1] if before is not None and before[0] == after[0] else 0.0)
        if moved < MON_CALLS:
            problems.append(f"{node.name}: {after[0]} moved by {moved:g} while this check sent {MON_CALLS} API calls "
                            "to the node")
    assert not problems, "\n".join(problems)


PER_NODE_KEYS = ("priority", "server_id", "gtid_domain_id", "auto_increment_offset", "route", "router_id")


def normalised(text: str, node) -> str:
    """A config file with what legitimately differs per node (name, address, priority, ids) masked."""
    text = text.replace(node.name, "<node>").replace(node.address, "<address>")
    for key in PER_NODE_KEYS:
        text = re.sub(rf"({key}\s*[=: ]\s*)\S+", r"\1<per-node>", text)
    return text


def masked_json(text: str) -> str:
    settings = json.loads(text)
    for per_node in ("node", "route", "pools"):
        settings.pop(per_node, None)
    return json.dumps(settings, sort_keys=True)


@requirement("DRIFT")
def test_nodes_of_one_role_have_the_same_configuration(node_access, layout):
    """Config files of the nodes of each role agree once per-node values are masked."""
    compared, problems = [], []
    for role, files in layout.config_files.items():
        nodes = layout.of_role(role)
        if len(nodes) < 2:
            continue  # one node of a role cannot drift from another
        for path in files:
            digests = {}
            for node in nodes:
                text = node_access.read_file(node.name, path)
                if text is None:
                    problems.append(f"{node.name}: {path} missing")
                    continue
                masked = masked_json(text) if path.endswith(".json") else normalised(text, node)
                digests[node.name] = hashlib.sha256(masked.encode()).hexdigest()[:12]
            compared.append(path)
            if len(set(digests.values())) > 1:
                problems.append(f"{path} differs between {role} nodes: {digests}")
    assert compared, "no role has two nodes and configuration files to compare"
    assert not problems, "\n".join(problems)
