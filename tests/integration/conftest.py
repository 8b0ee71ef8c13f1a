"""Fixtures of the integration tests: a Docker engine, and ci-small running under a project of its own."""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager

import pytest

from harness.errors import UserError


@pytest.fixture(scope="session")
def docker_client():
    from harness.backends.docker.engine import connect

    try:
        return connect()
    except UserError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs a Docker engine: {exc}")
        pytest.skip(f"no Docker engine reachable: {exc}")


@contextmanager
def running_topology(docker_client, topology, prefix: str = "oxh-it"):
    """Bring `topology` up as `oxh up` does under a fresh project; remove it afterwards."""
    from harness.backends.docker.cluster import DockerCluster
    from harness.backends.docker.startup import Reporter

    cluster = DockerCluster(f"{prefix}-{secrets.token_hex(3)}", docker_client)
    try:
        yield cluster, cluster.up(topology, Reporter())
    finally:
        cluster.down()
        cluster.state.forget()


@pytest.fixture(scope="session")
def start_topology(docker_client):
    """`with start_topology(topology, prefix) as (cluster, placed):` for a topology of a test's own."""
    return lambda topology, prefix="oxh-it": running_topology(docker_client, topology, prefix)


@pytest.fixture(scope="session")
def ci_small(docker_client):
    """ci-small, once for the session, removed at its end."""
    from harness.models.loader import load

    with running_topology(docker_client, load("ci-small")) as running:
        yield running
