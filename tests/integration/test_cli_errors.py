"""`oxh up` with bad input or interrupted: one clear message, a non-zero exit, nothing left running."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from harness.backends.docker import images
from harness.wait import wait_for
from harness.backends.docker.engine import LABEL_PROJECT, LABEL_ROLE

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def oxh(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def project_containers(client, project: str) -> list:
    return client.containers.list(all=True, filters={"label": f"{LABEL_PROJECT}={project}"})


@pytest.fixture
def project(docker_client):
    name = f"oxh-err-{secrets.token_hex(3)}"
    yield name
    for container in project_containers(docker_client, name):
        container.remove(force=True)
    for network in docker_client.networks.list(filters={"label": f"{LABEL_PROJECT}={name}"}):
        network.remove()


def test_engine_not_running_is_one_clear_line(project):
    result = oxh("up", "--project", project, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 2
    assert "Docker engine is not running" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_refused_before_anything_starts(docker_client, project):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = oxh("up", "--project", project, "--no-build", "--http-port", str(port))
    assert result.returncode == 2
    assert f"port 127.0.0.1:{port} is already in use" in result.stderr
    assert project_containers(docker_client, project) == []


def test_stale_containers_of_an_earlier_run_are_named(docker_client, project):
    docker_client.containers.run(
        images.image("base"), ["sleep", "300"], detach=True, name=f"{project}-stale",
        labels={LABEL_PROJECT: project, LABEL_ROLE: "middleware"},
    )
    result = oxh("up", "--project", project, "--no-build")
    assert result.returncode == 2
    assert f"project {project!r} already has 1 container(s)" in result.stderr
    assert f"oxh down --project {project}" in result.stderr


def test_ctrl_c_during_up_leaves_nothing_running(docker_client, project):
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli.main", "up", "--project", project, "--no-build"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # As from a terminal: a test run started in the background would hand on SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_for(lambda: project_containers(docker_client, project), timeout=120, interval=0.2,
             waiting_for="up to start a container")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert project_containers(docker_client, project) == []
    assert docker_client.networks.list(filters={"label": f"{LABEL_PROJECT}={project}"}) == []
