"""What must be closed is closed: the MTA relays for nobody outside the cluster, and every node of a tier runs
the same software release (an odd node is a half-finished upgrade, named)."""

from __future__ import annotations

import secrets

import pytest

from harness.clients import mail

requirement = pytest.mark.requirement
RELAY_TARGET = "oxh-relay-check@relay-check.ox-harness.invalid"  # a domain no cluster serves (RFC 2606)


@requirement("MTA-NO-RELAY")
def test_the_mta_relays_for_no_client_outside_the_cluster(target):
    """Asked by the harness, a client outside the cluster and unauthenticated, the MTA refuses a recipient of a
    foreign domain (no open relay) and accepts one of the cluster's own domain (so the refusal is not an
    outage). Nothing is sent: the session ends before DATA."""
    host, port = target.smtp
    sender = f"oxh-{secrets.token_hex(3)}@relay-check.ox-harness.invalid"
    own = mail.relay_answer(host, port, sender, f"postmaster@{target.mail_domain}")
    assert own[0] < 400, (f"the MTA at {host}:{port} refused mail for its own domain {target.mail_domain} "
                          f"({own[0]} {own[1]}), so its answer to relaying cannot be judged")
    foreign = mail.relay_answer(host, port, sender, RELAY_TARGET)
    assert foreign[0] >= 500, (f"the MTA at {host}:{port} is an open relay: it accepted {RELAY_TARGET} from an "
                               f"unauthenticated client outside the cluster ({foreign[0]} {foreign[1]})")


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
