"""Connect to the Docker engine, with one clear message when there is none."""

from __future__ import annotations

import os
import shutil

import docker
from docker.errors import DockerException

from harness.errors import UserError

LABEL_PROJECT = "io.oxh.project"
LABEL_ROLE = "io.oxh.role"
LABEL_NODE = "io.oxh.node"
LABEL_TOPOLOGY = "io.oxh.topology"


def connect(timeout: int = 120) -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
        return client
    except DockerException as exc:
        if not shutil.which("dockerd") and not os.environ.get("DOCKER_HOST"):
            raise UserError(
                "no Docker engine is installed",
                "install it with `apt-get install docker.io` (or run the README's set-up command)",
            ) from None
        raise UserError(
            f"the Docker engine is not running or not reachable ({_short(exc)})",
            "start it with `dockerd &` or `systemctl start docker`",
        ) from None


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]
