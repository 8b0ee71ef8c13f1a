"""What must be closed is closed: the MTA relays for nobody outside the cluster, the public-facing tier reaches
no administrative service, and every node of a tier runs the same software release (an odd node is a
half-finished upgrade, named)."""

from __future__ import annotations

import secrets

import pytest

from harness.clients.handshakes import CONNECTED, TIMED_OUT, handshake_script, handshakes
from harness.clients import mail

requirement = pytest.mark.requirement
RELAY_TARGET = "oxh-relay-check@relay-check.ox-harness.invalid"  # a domain no cluster serves (RFC 2606)
DATABASE_PORT = 3306
DOVEADM_PORTS = {24245: "doveadm", 8080: "doveadm's HTTP API"}  # the ports Dovecot's documentation gives them
HANDSHAKE_TIMEOUT = 2.0


@requirement("MTA-NO-RELAY")
def test_the_mta_relays_for_no_client_outside_the_cluster(endpoints):
    """Asked by the harness, a client outside the cluster and unauthenticated, the MTA refuses a recipient of a
    foreign domain (no open relay) and accepts one of the cluster's own domain (so the refusal is not an
    outage). Nothing is sent: the session ends before DATA."""
    host, port = endpoints.smtp
    sender = f"oxh-{secrets.token_hex(3)}@relay-check.ox-harness.invalid"
    own = mail.relay_answer(host, port, sender, f"postmaster@{endpoints.mail_domain}")
    assert own[0] < 400, (f"the MTA at {host}:{port} refused mail for its own domain {endpoints.mail_domain} "
                          f"({own[0]} {own[1]}), so its answer to relaying cannot be judged")
    foreign = mail.relay_answer(host, port, sender, RELAY_TARGET)
    assert foreign[0] >= 500, (f"the MTA at {host}:{port} is an open relay: it accepted {RELAY_TARGET} from an "
                               f"unauthenticated client outside the cluster ({foreign[0]} {foreign[1]})")


def administrative_ports(layout) -> list[tuple[str, str, int]]:
    """(what, address, port) of every administrative service the design keeps from the public side."""
    found = [(f"{node.name}'s database", node.address, DATABASE_PORT) for node in layout.of_role("database")]
    vip = layout.vip_of("database")
    if vip is not None:
        found.append(("the database write VIP", vip.address, DATABASE_PORT))
    found += [(f"{node.name}'s {what}", node.address, port)
              for node in layout.of_role("imap") for port, what in DOVEADM_PORTS.items()]
    return found


def handshake(node_access, node: str, address: str, port: int) -> int | None:
    """timeout(1)'s verdict on one TCP handshake from the node to address:port; None when none was timed."""
    result = node_access.exec(node, handshake_script(address, port, 1, timeout=HANDSHAKE_TIMEOUT), timeout=15)
    timed = handshakes(result.output)
    return timed[0][1] if timed else None


@requirement("ADMIN-CLOSED")
def test_the_public_facing_tier_reaches_no_administrative_service(node_access, layout):
    """From each balancer, the tier users reach, no database port (each master and the write VIP) and no
    doveadm port accepts a connection, while the middleware port the balancer proxies to does (so a refusal
    is told from a balancer that reaches nothing). SOAP admin and the balancer manager, which the balancer
    itself serves, are BAL-ADMIN-LOCAL's."""
    balancers = layout.names("balancer")
    assert balancers, "the layout names no balancer: the public-facing tier is unknown"
    middleware = layout.of_role("middleware")
    assert middleware, "the layout names no middleware node for the balancers to reach"
    closed = administrative_ports(layout)
    problems = []
    for balancer in balancers:
        served = middleware[0]
        answer = handshake(node_access, balancer, served.address, layout.middleware_port)
        if answer != CONNECTED:
            why = {None: "could not be measured", TIMED_OUT: "no answer"}.get(answer, "refused")
            problems.append(f"{balancer} does not reach {served.name}'s middleware port "
                            f"{served.address}:{layout.middleware_port} either ({why}), so what it cannot reach "
                            "cannot be judged")
            continue
        opened = [f"{what} ({address}:{port})" for what, address, port in closed
                  if handshake(node_access, balancer, address, port) == CONNECTED]
        if opened:
            problems.append(f"{balancer}, which users reach, connects to {len(opened)} of {len(closed)} "
                            f"administrative ports: {', '.join(opened)}")
    assert not problems, "\n".join(problems)


@requirement("RELEASE-SAME")
def test_every_node_of_a_tier_runs_the_same_release(releases):
    """The version of each tier's software (middleware, Apache and keepalived, MariaDB, Dovecot, Postfix,
    nfs-ganesha), read on every node of the tier, is one release; a node that differs is named."""
    problems = []
    for label, found in releases.items():
        unread = {node: why for node, why in found.items() if why.startswith("?:")}
        problems += [f"{label}: {node} {why[3:]}" for node, why in unread.items()]
        read = {node: version for node, version in found.items() if node not in unread}
        versions = list(read.values())
        usual = max(set(versions), key=versions.count) if versions else None
        odd = [f"{node} runs {version}" for node, version in read.items() if version != usual]
        if odd:
            others = ", ".join(node for node, version in read.items() if version == usual)
            problems.append(f"{label}: {'; '.join(odd)}, while {others} run {usual}")
    assert not problems, "\n".join(problems)
