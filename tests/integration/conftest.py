"""Fixtures of the integration tests: a Docker engine, and ci-small running under a project of its own."""

from __future__ import annotations

import os
import secrets

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


@pytest.fixture(scope="session")
def ci_small(docker_client):
    """ci-small brought up by the backend as `oxh up` does, once for the session, removed at its end."""
    from harness.backends.docker.cluster import DockerCluster, Reporter
    from harness.topology.loader import load

    cluster = DockerCluster(f"oxh-it-{secrets.token_hex(3)}", docker_client)
    try:
        placed = cluster.up(load("ci-small"), Reporter())
        yield cluster, placed
    finally:
        cluster.down()
        cluster.state.forget()
