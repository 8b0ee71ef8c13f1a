"""The balancer tier: pools, members and routes, stickiness, reachability, the VIP."""

from __future__ import annotations

import pytest

from harness.clients.balancer import balancer_pools


def test_every_pool_has_its_members_up_with_routes(target, node_access):
    """Each pool lists exactly its members, each with its route and status Ok."""
    topology = target.topology
    pools = balancer_pools(target.http_url, verify=target.tls)
    for name in topology.pools:
        expected = {member.route for member in topology.pool_members(name)}
        members = pools.get(name, [])
        assert {m.route for m in members} == expected, f"pool {name}: {members}"
        assert all(m.up for m in members), f"pool {name}: {members}"


def test_every_node_is_reachable_through_its_pools(target, ox, login):
    """Pinned to each member's route, a request on each pool's path is answered by that member."""
    if not target.topology:
        pytest.skip(f"the pools of target {target.name} are not known")
    _, session = login("alice")
    for name, pool in target.topology.pools.items():
        path = pool.paths[0] if pool.paths else pool.query_routes[0].path
        for member in target.topology.pool_members(name):
            client = ox(member.route)
            # Any answer of the node counts (501 included); 502-504 would be the balancer's own failure.
            response = client.http.get(path, params={"session": session.id})
            assert response.status_code not in (502, 503, 504), f"pool {name} via {path}: HTTP {response.status_code}"
            assert client.route == member.route, f"pool {name}: asked for {member.route}, answered by {client.route}"


def test_jsessionid_route_sticks(login, groupware_routes):
    """After login every call of the session goes to the node that made it."""
    for start in groupware_routes:
        client, session = login("bob", route=start)
        served = set()
        for _ in range(10):
            session.get("config/identifier")
            served.add(client.route)
        assert served == {start}


def test_an_unpinned_client_stays_on_the_node_it_was_given(ox, test_context):
    """A client without a route gets one at login and keeps it."""
    user = test_context.users["bob"]
    client = ox()
    session = client.login(user.login, user.password)
    first = client.route
    assert first
    for _ in range(10):
        session.get("config/identifier")
        assert client.route == first


def test_the_balancer_vip_is_held_by_exactly_one_balancer(target, node_access):
    """Exactly one balancer holds the VIP (none: outage; two: split brain)."""
    holders = node_access.vip_holders(target.topology)[str(target.topology.balancer.vip.address)]
    assert len(holders) == 1, f"VIP {target.topology.balancer.vip.address} held by {holders or 'nobody'}"


def test_the_database_write_vip_is_held_by_exactly_one_master(target, node_access):
    """Exactly one database node holds the write VIP."""
    holders = node_access.vip_holders(target.topology)[str(target.topology.database.write_vip.address)]
    assert len(holders) == 1, f"write VIP held by {holders or 'nobody'}"
