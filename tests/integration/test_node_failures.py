"""A middleware node's death and its backends' outages, as users of the reference cluster see them.

With shared sessions a user whose node is killed goes on with the same
session on another node; with node-local sessions (a misconfigured cluster)
the same user gets SES-0203. With the database, IMAP or the filestore gone,
the middleware answers within a bounded time with the OX error envelope and
the fitting category, never hanging and never with an HTML 500.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Iterator

import pytest

from harness.clients.ox_errors import Category, OXError
from harness.clients.ox_http import OXClient
from harness.clients.provisioning import Credentials, Provisioning, temporary_context
from harness.models.loader import load

pytestmark = pytest.mark.integration
ANSWER_WITHIN = 5.0


@contextmanager
def provisioned_user(cluster, topology) -> Iterator[dict]:
    """A user in a context of its own, removed afterwards."""
    base = cluster.endpoints()["http"]
    provisioning = Provisioning(base, Credentials("oxadminmaster", cluster.state.secrets()["admin_master"]))
    with temporary_context(provisioning, "nf", ["nora"], topology.mail_domain) as context:
        yield {"login": context.users["nora"].login, "password": context.users["nora"].password}


def login_on(cluster, user: dict, route: str):
    client = OXClient(cluster.endpoints()["http"], timeout=15)
    client.pin_route(route)
    session = client.login(user["login"], user["password"])
    assert client.route == route
    return client, session


def container(cluster, node: str):
    return cluster.node(node).container


@contextmanager
def killed(cluster, node: str):
    container(cluster, node).kill()
    try:
        yield
    finally:
        container(cluster, node).start()
        cluster.wait_healthy([node], 90)


def test_shared_session_survives_the_death_of_its_node(ci_small):
    cluster, topology = ci_small
    with provisioned_user(cluster, topology) as user:
        client, session = login_on(cluster, user, "OX1")
        with killed(cluster, "ox-1"):
            identifier = session.get("config/identifier")
            assert identifier == session.user_id
            assert client.route == "OX2"


@pytest.fixture(scope="module")
def local_sessions_cluster(start_topology):
    """ci-small misconfigured with node-local sessions, for the failures it must show."""
    base = load("ci-small")
    topology = base.model_copy(update={"middleware": base.middleware.model_copy(update={"sessions": "local"})})
    with start_topology(topology, "oxh-local") as (cluster, placed), provisioned_user(cluster, placed) as user:
        yield cluster, placed, user


def test_node_local_sessions_are_lost_with_their_node(local_sessions_cluster):
    cluster, _, user = local_sessions_cluster
    client, session = login_on(cluster, user, "OX1")
    with killed(cluster, "ox-1"):
        with pytest.raises(OXError) as raised:
            session.get("config/identifier")
        assert raised.value.code == "SES-0203" and raised.value.category == Category.TRY_AGAIN


def timed_envelope(call) -> tuple[OXError, float]:
    started = time.monotonic()
    with pytest.raises(OXError) as raised:
        call()
    return raised.value, time.monotonic() - started


def test_database_outage_answers_service_down_in_bounded_time(local_sessions_cluster):
    cluster, _, user = local_sessions_cluster
    client, session = login_on(cluster, user, "OX2")
    folder = client.http.get("/appsuite/api/config/folder/contacts", params={"session": session.id}).json()["data"]
    databases = [container(cluster, node) for node in ("db-1", "db-2")]
    for db in databases:
        db.pause()
    try:
        error, seconds = timed_envelope(lambda: session.get("contacts", "all", folder=folder, columns="1"))
    finally:
        for db in databases:
            db.unpause()
    assert error.category in (Category.SERVICE_DOWN, Category.TRY_AGAIN), error
    assert seconds <= ANSWER_WITHIN


def test_imap_outage_answers_connectivity_in_bounded_time(local_sessions_cluster):
    cluster, _, user = local_sessions_cluster
    client, session = login_on(cluster, user, "OX2")
    servers = [container(cluster, node) for node in ("imap-1", "imap-2")]
    for server in servers:
        server.stop(timeout=2)
    try:
        error, seconds = timed_envelope(lambda: session.get("mail", "all", folder="default0/INBOX", columns="600"))
    finally:
        for server in servers:
            server.start()
        for node in ("imap-1", "imap-2"):
            cluster.wait_healthy([node], 90)
    assert error.category == Category.CONNECTIVITY, error
    assert seconds <= ANSWER_WITHIN


def test_filestore_outage_answers_service_down_in_bounded_time(local_sessions_cluster):
    cluster, _, user = local_sessions_cluster
    client, session = login_on(cluster, user, "OX2")
    folder = client.http.get("/appsuite/api/config/folder/infostore", params={"session": session.id}).json()["data"]
    ident = session.call("POST", "infostore", "new", files={"file": ("a.txt", b"abc", "text/plain")},
                         data={"json": json.dumps({"folder_id": str(folder)})})
    nfs = container(cluster, "nfs-1")
    nfs.pause()
    try:
        error, seconds = timed_envelope(
            lambda: session.call("GET", "infostore", "document", params={"id": ident, "folder": folder})
        )
    finally:
        nfs.unpause()
    assert error.category == Category.SERVICE_DOWN and error.code == "FLS-0017", error
    assert seconds <= ANSWER_WITHIN
