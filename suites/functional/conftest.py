"""Fixtures of the functional suite's sync checks: the sync pool's members, and each of them tried in turn."""

from __future__ import annotations

import pytest

from harness.clients.dav import DavError


def named(target, route: str) -> str:
    node = target.layout.by_route(route) if target.layout else None
    return f"{node.name} (route {route})" if node else f"route {route}"


@pytest.fixture
def member_name(target):
    """`member_name(route)`: the node behind a route, as failures name it ("ox-3 (route OX3)")."""
    return lambda route: named(target, str(route))


@pytest.fixture
def sync_members(sync_routes):
    if not sync_routes:
        pytest.fail("no member of the sync pool (oxcluster_sync) was found", pytrace=False)
    return sync_routes


@pytest.fixture
def each_sync_member(target, dav, sync_members):
    """`each_sync_member(user, attempt)`: `attempt(client, route)` through each sync pool member in turn, with a
    DAV client of `user` pinned to it; a problem per member that failed, naming it."""

    def run(user: str, attempt) -> list[str]:
        problems = []
        for route in sync_members:
            try:
                attempt(dav(user, route=route), route)
            except (DavError, OSError) as exc:
                problems.append(f"{named(target, route)}: {exc}")
        return problems

    return run
