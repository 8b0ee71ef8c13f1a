"""The shared filestore through the project's NFS client: POSIX semantics across nodes, and a server restart.

Each check writes on one middleware node and looks from another, as the
middleware and Dovecot rely on: renames, exclusive creates, hard links,
ownership by the creating uid, large files, and a mount that outlives a
restart of the NFS server.
"""

from __future__ import annotations

import secrets
import time

import pytest

pytestmark = pytest.mark.integration
MOUNT = "/var/opt/filestore"


def run(cluster, node: str, script: str, user: str | None = None) -> tuple[int, str]:
    container = cluster.node(node).container
    command = ["sh", "-c", script]
    if user:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    result = container.exec_run(command)
    return result.exit_code, result.output.decode(errors="replace").strip()


@pytest.fixture
def folder(ci_small):
    cluster, _ = ci_small
    path = f"{MOUNT}/it-{secrets.token_hex(4)}"
    assert run(cluster, "ox-1", f"mkdir -m 777 {path}")[0] == 0
    yield cluster, path
    run(cluster, "ox-1", f"rm -rf {path}")


def test_rename_over_an_existing_file_is_seen_on_another_node(folder):
    cluster, path = folder
    run(cluster, "ox-1", f"echo old > {path}/target && echo new > {path}/tmp && mv {path}/tmp {path}/target")
    assert run(cluster, "ox-2", f"cat {path}/target; ls {path}") == (0, "new\ntarget")


def test_exclusive_create_fails_when_another_node_created_the_file(folder):
    cluster, path = folder
    run(cluster, "ox-1", f"echo lock > {path}/dotlock")
    code, output = run(
        cluster,
        "ox-2",
        f"python3 -c \"import os; os.open('{path}/dotlock', os.O_CREAT | os.O_EXCL | os.O_WRONLY)\"",
    )
    assert code != 0 and "FileExistsError" in output


def test_hard_links_and_directories(folder):
    cluster, path = folder
    run(cluster, "ox-1", f"echo body > {path}/a && ln {path}/a {path}/b && mkdir {path}/sub && rmdir {path}/sub")
    assert run(cluster, "ox-2", f"stat -c %h {path}/b; cat {path}/b; test -e {path}/sub || echo gone") == (
        0,
        "2\nbody\ngone",
    )


def test_files_belong_to_the_uid_that_created_them(folder):
    cluster, path = folder
    assert run(cluster, "ox-1", f"echo mine > {path}/owned", user="5000")[0] == 0
    assert run(cluster, "ox-2", f"stat -c %u:%g {path}/owned") == (0, "5000:5000")
    # Another uid may not overwrite it (permissions are enforced end to end).
    code, _ = run(cluster, "ox-2", f"echo theirs > {path}/owned", user="6000")
    assert code != 0


def test_a_20_mb_file_round_trips_byte_identical(folder):
    cluster, path = folder
    code, written = run(cluster, "ox-1", f"head -c 20000000 /dev/urandom | tee {path}/big | md5sum")
    assert code == 0
    assert run(cluster, "ox-3", f"md5sum < {path}/big") == (0, written)


def test_the_mount_survives_a_restart_of_the_nfs_server(folder):
    cluster, path = folder
    cluster.node("nfs-1").container.restart(timeout=5)
    started = time.monotonic()
    code, output = run(cluster, "ox-1", f"echo after > {path}/after && cat {path}/after")
    assert (code, output) == (0, "after")
    assert run(cluster, "ox-2", f"cat {path}/after") == (0, "after")
    assert time.monotonic() - started < 60
