"""Fixtures of the suites: the target, OX clients, provisioned test users, protocol handles, evidence.

Suites reach the cluster only through these fixtures and `harness.clients`.
The target is a running reference project (`--project`) or a target file
(`--target`, kind remote). Test users are created over SOAP in a context
named after the run and removed at the end of the session, whether the tests
passed, failed or were interrupted.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass

import pytest

from harness.clients.ox_http import OXClient, OXSession, Recorder
from harness.errors import UserError

pytest_plugins = ["harness.report.plugin"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ox-harness")
    group.addoption("--target", help="target file of kind remote (default: the running reference project)")
    group.addoption("--project", default=os.environ.get("OXH_PROJECT", "oxh"), help="reference project to test")
    group.addoption("--run-id", default=None, help="id of this run (names the test context)")




def stop_run(config: pytest.Config, message: str) -> None:
    """End the whole run with exit code 2 (bad input), the reason kept for the report."""
    config.oxh_exit_reason = message
    pytest.exit(message, returncode=2)


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest):
    from harness.backends.endpoints import from_project, from_target
    from harness.topology.target import load_target

    try:
        if request.config.getoption("--target"):
            return from_target(load_target(request.config.getoption("--target")))
        return from_project(request.config.getoption("--project"))
    except UserError as exc:
        stop_run(request.config, f"{exc.message} ({exc.hint})" if exc.hint else exc.message)


@pytest.fixture(scope="session")
def run_id(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--run-id") or time.strftime("%Y%m%d-%H%M%S")


@pytest.fixture(scope="session")
def provisioning(target):
    from harness.clients.provisioning import Provisioning

    return Provisioning(target.soap_url, target.master, verify=target.tls)


@dataclass(frozen=True)
class RunUser:
    name: str
    login: str
    password: str
    email: str
    user_id: int
    context_id: int


@dataclass(frozen=True)
class RunContext:
    cid: int
    name: str
    admin_login: str
    admin_password: str
    users: dict[str, RunUser]


@pytest.fixture(scope="session")
def test_context(request, target, provisioning, run_id):
    """A context with two users (alice, bob), made for this run and removed after it."""
    from harness.clients.provisioning import Credentials, ProvisioningError

    cid = 1_000_000 + secrets.randbelow(8_000_000)
    name = f"oxhq{cid}"
    admin = Credentials("oxadmin", secrets.token_urlsafe(12))
    try:
        provisioning.create_context(cid, name, admin)
    except ProvisioningError as exc:
        stop_run(request.config, f"cannot create the run's test context on {target.name}: {exc}")
    try:
        users = {}
        for user in ("alice", "bob"):
            password = secrets.token_urlsafe(12)
            email = f"{user}.{cid}@{target.mail_domain}"
            created = provisioning.create_user(cid, admin, user, password, email, user.title())
            users[user] = RunUser(user, f"{user}@{name}", password, email, created.id, cid)
        yield RunContext(cid, name, admin.login, admin.password, users)
    finally:
        provisioning.delete_context(cid)


@pytest.fixture
def recorder(request: pytest.FixtureRequest) -> Recorder:
    """Requests made by the test, attached to its report when it fails."""
    recorder = Recorder()
    request.node.oxh_recorder = recorder
    return recorder


@pytest.fixture
def ox(target, recorder):
    """Factory of OX clients through the balancer VIP: `ox()` or `ox(route="OX2")`."""
    clients: list[OXClient] = []

    def make(route: str | None = None) -> OXClient:
        client = OXClient(target.http_url, verify=target.tls, recorder=recorder, timeout=20)
        if route:
            client.pin_route(route)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def login(ox, test_context):
    """`login("alice")` -> (client, session); `login("alice", route="OX2")` pins the node first."""

    def make(user: str, route: str | None = None) -> tuple[OXClient, OXSession]:
        client = ox(route)
        account = test_context.users[user]
        return client, client.login(account.login, account.password)

    return make


@pytest.fixture
def node_access(target):
    """The reference cluster's nodes; a remote target offers none, so such checks are skipped there."""
    if target.cluster is None:
        pytest.skip(f"needs access to the nodes, which target {target.name} does not give")
    return target.cluster


@pytest.fixture(scope="session")
def groupware_routes(target, test_context) -> list[str]:
    """Routes of the groupware pool: from the topology, or found by logging in until no new one shows."""
    if target.pools:
        return target.pools["oxcluster"]
    user = test_context.users["alice"]
    found: list[str] = []
    for _ in range(12):
        with OXClient(target.http_url, verify=target.tls) as client:
            session = client.login(user.login, user.password)
            if client.route and client.route not in found:
                found.append(client.route)
            session.logout()
    return sorted(found)


@pytest.fixture
def fault_driver(target, node_access):
    """Faults on the reference topology's nodes (a drill on a remote target goes through `oxh drill`)."""
    from harness.faults.docker_driver import DockerFaults

    return DockerFaults(node_access, target.databases)


@pytest.fixture(scope="session")
def failover_accounts(test_context):
    from harness.load.workload import Account

    users = list(test_context.users.values())
    accounts = [Account(user.login, user.password, user.email) for user in users]
    return accounts + [accounts[0]]


@pytest.fixture
def failover_results(request):
    """Keep a scenario's result (with its timeline) in the run folder, for the report."""
    from pathlib import Path

    folder = request.config.getoption("--report-dir", default=None)

    def keep(result) -> None:
        request.node.oxh_failover = result
        if folder:
            result.save(Path(folder))

    return keep
