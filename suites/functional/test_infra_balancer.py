"""The balancer tier: pools, members and routes, members that answer, stickiness, reachability,
administrative endpoints, the VIP."""

from __future__ import annotations

import httpx
import pytest

from harness.clients.balancer import (ADMIN_PATHS, PUBLIC_PATH, REFUSED, admin_status, http_status_command,
                                      manager_xml_command, parse_manager_xml, pool_probe)

requirement = pytest.mark.requirement


@requirement("BAL-POOLS")
def test_every_pool_has_its_members_up_with_routes(node_access, layout, member_name):
    """On every balancer, each pool lists exactly its members, each with its route and up."""
    problems = []
    balancers = layout.names("balancer")
    assert balancers, "the layout names no balancer"
    for balancer in balancers:
        result = node_access.exec(balancer, manager_xml_command(layout.balancer_port))
        if not result.ok or "<httpd:manager" not in result.output:
            problems.append(f"{balancer}: the balancer-manager does not answer locally ({result.output.strip()[:200]})")
            continue
        pools = parse_manager_xml(result.output)
        for pool in layout.pools:
            expected = {node.route for node in layout.pool_members(pool)}
            members = pools.get(pool, [])
            listed = {member.route for member in members}
            if listed != expected:
                problems.append(f"{balancer}: pool {pool} has routes {sorted(listed)}, the design {sorted(expected)}")
            for member in members:
                if not member.up:
                    why = " (taken out: it stopped answering)" if "HcFl" in member.status else ""
                    problems.append(f"{balancer}: pool {pool}: {member_name(member.route)} at {member.url} "
                                    f"is {member.status!r}{why}")
    assert not problems, "\n".join(problems)


@requirement("BAL-ANSWER")
def test_every_pool_member_answers_through_the_balancer(member_probes, member_name):
    """Pinned to its route, every member of every pool answers within seconds; a hung one is named."""
    assert member_probes, "no pool member is known to probe"
    silent = [f"pool {p.pool}: {member_name(p.route)} {p.detail} ({p.seconds:.1f} s)"
              for p in member_probes if not p.answered]
    assert not silent, "\n".join(silent)


@requirement("BAL-REACH")
def test_every_node_is_reachable_through_its_pools(layout, ox, login, member_name):
    """Pinned to each member's route, a request on each pool's path is answered by that member as App Suite:
    the OX envelope on an API path, the EAS handshake on the sync pool."""
    _, session = login("alice")
    problems = []
    for pool in layout.pools:
        probe = pool_probe(layout.pool_paths[pool])
        for member in layout.pool_members(pool):
            client = ox(member.route)
            response = client.http.request(probe.method, probe.path, params={"session": session.id})
            wrong = probe.judge(response)
            who = member_name(member.route)
            if wrong:
                problems.append(f"pool {pool}: {who}: {probe.method} {probe.path} answered {wrong}; "
                                f"App Suite answers {probe.expects}")
            elif client.route != member.route:
                problems.append(f"pool {pool}: asked for {who}, answered by route {client.route}")
    assert not problems, "\n".join(problems)


@requirement("BAL-STICKY")
def test_jsessionid_route_sticks(login, groupware_routes):
    """After login every call of the session goes to the node that made it."""
    for start in groupware_routes:
        client, session = login("bob", route=start)
        served = set()
        for _ in range(10):
            session.get("config/identifier")
            served.add(client.route)
        assert served == {start}


@requirement("BAL-STICKY")
def test_an_unpinned_client_stays_on_the_node_it_was_given(ox, test_context):
    """A client without a route gets one at login and keeps it; it is never pinned, whatever the other checks
    found, so the balancer alone decides where it lands."""
    user = test_context.users["bob"]
    client = ox(unpinned=True)
    try:
        session = client.login(user.login, user.password)
    except httpx.TimeoutException:
        pytest.fail(f"the balancer placed a client without a route where its login got no answer within "
                    f"{client.http.timeout.read:g} s (a member that accepts connections but never answers)",
                    pytrace=False)
    first = client.route
    assert first
    for _ in range(10):
        session.get("config/identifier")
        assert client.route == first


@requirement("BAL-ADMIN-LOCAL")
def test_administrative_endpoints_refuse_clients_that_are_not_local(target, endpoints):
    """/balancer-manager, /server-status and /webservices refuse a client outside the admin networks with 401
    or 403, while the same balancer answers that client a public path: a middleware node where the harness
    reaches the nodes, else the harness itself as an ordinary client. A 404 or no answer is no refusal."""
    if target.access is not None:
        layout = target.layout
        vip = layout.vip_of("balancer")
        assert vip is not None, "the layout names no balancer VIP"
        client = layout.names("middleware")[0]
        where = f"asked from {client}"

        def status_of(path: str) -> str:
            url = f"http://{vip.address}:{layout.balancer_port}{path}"
            return target.access.exec(client, http_status_command(url)).output.strip()[-3:]
    else:
        if endpoints.harness_is_admin_client:
            pytest.skip(f"the harness reaches /webservices through {endpoints.soap_url}, the users' URL, so it is an "
                        "admin client of this target; set public_url (as users reach it) and soap_url (the admin "
                        "address) in the target file")
        where = f"asked from the harness at {endpoints.public_url}"

        def status_of(path: str) -> str:
            status = admin_status(endpoints.public_url, path, verify=endpoints.tls)
            return str(status) if status is not None else "000"

    answers = {path: status_of(path) for path in ADMIN_PATHS}
    public = status_of(PUBLIC_PATH)
    assert public.isdigit() and 200 <= int(public) < 400, (
        f"the balancer did not answer the public path {PUBLIC_PATH} ({where}: "
        f"{'no answer' if public == '000' else 'HTTP ' + public}), so a refusal cannot be told from an outage")
    wrong = []
    for path, status in answers.items():
        if status in {str(code) for code in REFUSED}:
            continue
        if status == "000":
            wrong.append(f"{path} gave no answer, while {PUBLIC_PATH} did: not a refusal")
        elif status == "404":
            wrong.append(f"{path} answered HTTP 404: not a refusal (an access rule answers 401 or 403)")
        else:
            wrong.append(f"{path} answered HTTP {status}")
    assert not wrong, f"not refused to a client that is not local ({where}): " + "; ".join(wrong)


def vip_holders_of(access, layout, role: str) -> tuple[str, list[str]]:
    vip = layout.vip_of(role)
    assert vip is not None, f"the layout names no {role} VIP"
    return vip.address, access.vip_holders().get(vip.address, [])


@requirement("VIP-BAL")
def test_the_balancer_vip_is_held_by_exactly_one_balancer(node_access, layout):
    """Exactly one balancer holds the VIP (none: outage; two: split brain)."""
    address, holders = vip_holders_of(node_access, layout, "balancer")
    assert len(holders) == 1, f"balancer VIP {address} held by {', '.join(holders) or 'no balancer'}"


@requirement("VIP-DB")
def test_the_database_write_vip_is_held_by_exactly_one_master(node_access, layout):
    """Exactly one database node holds the write VIP."""
    address, holders = vip_holders_of(node_access, layout, "database")
    unreachable = [name for name, health in node_access.health().items()
                   if name in layout.names("database") and health.startswith("unreachable")]
    assert len(holders) == 1, (f"write VIP {address} held by {', '.join(holders) or 'no master'}"
                               + (f"; not asked: {', '.join(unreachable)}" if unreachable else ""))

