"""The oxh pytest plugin: the suites' options, fixtures, requirement markers and results.

Installed with the package as the `pytest11` entry point `oxh`, so that
`pytest --target FILE` runs the suites in a customer's own pytest set-up as
`oxh qualify` runs them: the target, OX clients, provisioned test users,
node access, faults and evidence, and for the frontend suite the browser
(harness.browser.fixtures, on top of pytest-playwright). Suites reach the cluster only through these
fixtures and `harness.clients`.
The target is a running reference project (`--project`) or a target file
(`--target`, kind remote). Test users are created over SOAP in a context
made for the run and removed at the end of the session, whether the tests
passed, failed or were interrupted. A groupware member that does not answer
through the balancer (hung: it accepts connections and never answers; or
down) is named by the pool checks; tests that need that member fail at once
naming it, and the others are kept off it.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from harness.clients.ox_http import OXClient, OXSession, Recorder
from harness.errors import UserError

pytest_plugins = ["harness.report.requirement_markers", "harness.report.plugin"]

DISCOVERY_LOGINS = 12


class Clients(list):
    """The clients a factory fixture made, closed together at its teardown."""

    def keep(self, client):
        self.append(client)
        return client

    def close(self) -> None:
        for client in self:
            client.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ox-harness")
    group.addoption("--target", help="target file of kind remote (default: the running reference project)")
    group.addoption("--resolved-target", metavar="FILE",
                    help="the target as `oxh qualify` resolved it (target.json of its run folder)")
    group.addoption("--project", default=os.environ.get("OXH_PROJECT", "oxh"), help="reference project to test")
    group.addoption("--run-id", default=None, help="id of this run (names the test context)")
    group.addoption("--confirm", default=None, metavar="TARGET_NAME",
                    help="say yes to faults on a staging target by naming it (the failover suite)")
    group.addoption("--chromium", default=None, metavar="PATH",
                    help="the Chromium the frontend suite drives (default: $OXH_CHROMIUM, else Debian's)")
    group.addoption("--ui-url", default=None, metavar="URL",
                    help="the web UI the frontend suite opens (default: /appsuite/ behind the balancer VIP)")
    group.addoption("--ui-version", default=os.environ.get("OXH_UI_VERSION"), metavar="VERSION",
                    help="App Suite version of the UI, where its labels differ (default: asked of the target)")


def pytest_configure(config: pytest.Config) -> None:
    """The browser fixtures go in after pytest-playwright, so that theirs (launch arguments, base URL) win."""
    playwright = sys.modules.get("pytest_playwright.pytest_playwright")
    if playwright is not None and config.pluginmanager.is_registered(playwright):
        from harness.browser import fixtures

        config.pluginmanager.register(fixtures, "oxh-browser")


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest):
    """The run's target (harness.backends.target.Target): endpoints, policy, and what its backend can do."""
    from harness.backends.target import from_record, resolve
    from harness.report.requirement_markers import stop

    try:
        recorded = request.config.getoption("--resolved-target")
        if recorded:
            return from_record(recorded)
        return resolve(request.config.getoption("--project"), request.config.getoption("--target"))
    except UserError as exc:
        stop(request.config, str(exc))


@pytest.fixture(scope="session")
def endpoints(target):
    """The target's addresses and credentials."""
    return target.endpoints


@pytest.fixture(scope="session")
def provisioning(request, target, endpoints):
    """SOAP provisioning; where the target's layout is known, pinned to a groupware member that answers."""
    from harness.clients.provisioning import Provisioning

    answering = request.getfixturevalue("answering_routes") if target.layout is not None else []
    return Provisioning(endpoints.soap_url, endpoints.master, verify=endpoints.tls,
                        route=answering[0] if answering else None)


@pytest.fixture(scope="session")
def test_context(request, target, endpoints, provisioning):
    """A context with two users (alice, bob), made for this run and removed after it."""
    from harness.clients.provisioning import ProvisioningError, temporary_context
    from harness.report.requirement_markers import stop

    try:
        with temporary_context(provisioning, "q", ["alice", "bob"], endpoints.mail_domain) as context:
            yield context
    except ProvisioningError as exc:
        stop(request.config, f"cannot make the run's test context on {target.name}: {exc}")


@pytest.fixture
def recorder(request: pytest.FixtureRequest) -> Recorder:
    """Requests made by the test, attached to its report when it fails."""
    recorder = Recorder()
    request.node.oxh_recorder = recorder
    return recorder


@pytest.fixture
def node_access(target):
    """Commands on the target's nodes; an acceptance target gives none, so such checks are skipped there."""
    if target.access is None:
        pytest.skip(f"needs access to the nodes, which target {target.name} does not give")
    return target.access


@pytest.fixture
def releases(node_access):
    """Per tier (its software's label), each node's release, or "?: why" where it could not be read."""
    from harness.backends.access import release_of_every_node

    return release_of_every_node(node_access)


@pytest.fixture
def layout(target):
    """Which nodes, pools, routes and VIPs the target has, where it says so."""
    if target.layout is None:
        pytest.skip(f"target {target.name} does not say which nodes it has")
    return target.layout


@pytest.fixture(scope="session")
def groupware_routes(request, target, endpoints) -> list[str]:
    """Routes of the groupware pool: from the target's layout, or found by logging in until no new one shows."""
    if target.pools:
        return target.pools["oxcluster"]
    user = request.getfixturevalue("test_context").users["alice"]
    found: list[str] = []
    for _ in range(DISCOVERY_LOGINS):
        with OXClient(endpoints.http_url, verify=endpoints.tls, timeout=5) as client:
            try:
                session = client.login(user.login, user.password)
            except Exception:  # a hung or failing member: the pool check names it
                continue
            if client.route and client.route not in found:
                found.append(client.route)
            session.logout()
    return sorted(found)


@pytest.fixture(scope="session")
def member_probes(target, endpoints, groupware_routes):
    """One probe of every pool member through the balancer, pinned to its route (within seconds)."""
    from harness.clients.balancer import probe_member
    from harness.models.layout import VENDOR_POOL_PATHS

    layout = target.layout
    if layout is not None:
        wanted = [(pool, (layout.pool_paths.get(pool) or VENDOR_POOL_PATHS.get(pool, ("/",)))[0], node.route)
                  for pool in layout.pools for node in layout.pool_members(pool) if node.route]
    else:
        wanted = [("oxcluster", "/appsuite/api", route) for route in groupware_routes]
    with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
        return list(pool.map(lambda args: probe_member(endpoints.http_url, *args, verify=endpoints.tls), wanted))


@pytest.fixture(scope="session")
def silent_routes(member_probes) -> dict[str, str]:
    """Route -> why, for groupware members that did not answer the probe (hung, down, or routed around)."""
    return {probe.route: probe.detail for probe in member_probes if probe.pool == "oxcluster" and not probe.answered}


@pytest.fixture(scope="session")
def answering_routes(groupware_routes, silent_routes) -> list[str]:
    """Routes of the groupware members that answered the pool probe."""
    return [route for route in groupware_routes if route not in silent_routes]


@pytest.fixture
def ox(target, endpoints, recorder, silent_routes, answering_routes):
    """Factory of OX clients through the balancer VIP: `ox()`, `ox(route="OX2")`, or `ox(unpinned=True)`, which
    the balancer places as it places any client, even when a member is silent (stickiness is what it checks)."""
    clients = Clients()
    answering = answering_routes

    def make(route: str | None = None, unpinned: bool = False) -> OXClient:
        if route in silent_routes:
            node = target.layout.by_route(route).name if target.layout and target.layout.by_route(route) else route
            pytest.fail(f"this check needs {node} (route {route}), which {silent_routes[route]}", pytrace=False)
        client = clients.keep(OXClient(endpoints.http_url, verify=endpoints.tls, recorder=recorder, timeout=20))
        pinned = route or (answering[0] if silent_routes and answering and not unpinned else None)
        if pinned:
            client.pin_route(pinned)
        return client

    yield make
    clients.close()


@pytest.fixture
def login(ox, test_context):
    """`login("alice")` -> (client, session); `login("alice", route="OX2")` pins the node first."""

    def make(user: str, route: str | None = None) -> tuple[OXClient, OXSession]:
        client = ox(route)
        account = test_context.users[user]
        return client, client.login(account.login, account.password)

    return make


@pytest.fixture(scope="session")
def sync_routes(target, endpoints) -> list[str]:
    """Routes of the sync pool's members (USM, EAS, DAV): from the target's layout, or the routes that answer
    the DAV root when it is asked unpinned a dozen times."""
    if "oxcluster_sync" in (target.pools or {}):
        return target.pools["oxcluster_sync"]
    from harness.clients.dav import DAV_ROOT
    from harness.clients.ox_http import route_of

    found: set[str] = set()
    with OXClient(endpoints.http_url, verify=endpoints.tls, timeout=5) as client:
        for _ in range(DISCOVERY_LOGINS):
            client.http.cookies.clear()
            try:
                route = route_of(client.http.request("OPTIONS", DAV_ROOT).cookies.get("JSESSIONID"))
            except httpx.HTTPError:  # a failing member: the DAV checks name it
                continue
            found |= {route} if route else set()
    return sorted(found)


@pytest.fixture
def dav(endpoints, test_context):
    """Factory of DAV clients through the public URL: `dav("alice")`, or `dav("alice", route="OX3")` pinned
    to one sync pool member."""
    from harness.clients.dav import DavClient

    clients = Clients()

    def make(user: str, route: str | None = None) -> DavClient:
        account = test_context.users[user]
        return clients.keep(DavClient(endpoints.http_url, account.login, account.password, route=route,
                                      verify=endpoints.tls))

    yield make
    clients.close()


@pytest.fixture
def fault_driver(request, target):
    """Faults on the target's nodes: the reference topology's containers, or a staging target's hosts
    over SSH when --confirm names it."""
    from harness.faults.drivers import driver_for

    try:
        return driver_for(target, request.config.getoption("--confirm"))
    except UserError as exc:
        pytest.skip(str(exc))


@pytest.fixture
def cluster_checks(target):
    """The checks of the cluster itself that every fault is framed by (nodes, VIPs, replication)."""
    from harness.checks.cluster_state import cluster_checks

    return cluster_checks(target.access, target.endpoints.databases)


@pytest.fixture(scope="session")
def failover_accounts(test_context):
    from harness.load.workload import Account

    accounts = [Account(user.login, user.password, user.email) for user in test_context.users.values()]
    return accounts + [accounts[0]]


@pytest.fixture
def failover_results(request):
    """Keep a scenario's result (with its timeline) in the run folder, and its figures for the report."""
    from pathlib import Path

    folder = request.config.getoption("--report-dir", default=None)

    def keep(result) -> None:
        request.node.oxh_figures = result.figures()
        if folder:
            result.save(Path(folder))

    return keep
