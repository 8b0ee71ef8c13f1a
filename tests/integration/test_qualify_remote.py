"""`oxh qualify --target FILE`: the suites against a cluster known only by its endpoints.

The reference topology stands in for a customer's cluster: a target file of
kind remote names its published endpoints and the environment variables of
its secrets. Read-only checks and the run's own users run; what needs node
access or faults is not required of such a target. The stand-in reaches
/webservices through the users' URL, which makes the harness an admin client
of it: the check that administrative endpoints refuse ordinary clients
cannot be made, and the verdict says so. Bad input (a secret in the file, a
wrong password, TLS against a plain port, an unreachable target) ends the
run with exit code 2, a message that says why, and no test users left over.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.clients.provisioning import Credentials, Provisioning
from harness.report.run_folder import verdict_of

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def target_data(cluster, topology) -> dict:
    endpoints = cluster.endpoints()

    def host_port(key: str) -> dict:
        host, _, port = endpoints[key].partition(":")
        return {"host": host, "port": int(port)}

    return {
        "name": "stand-in-customer",
        "kind": "remote",
        "use": "acceptance",
        "http_url": endpoints["http"],
        "verify_tls": True,
        "master_admin": {"login": "oxadminmaster", "password_env": "OXH_TEST_MASTER_PASSWORD"},
        "imap": [host_port(f"{node.name}:143") for node in topology.imap.nodes],
        "smtp": host_port(f"{topology.mta.nodes[0].name}:25"),
        "databases": [
            {"name": node.name, **host_port(f"{node.name}:3306"),
             "account": {"login": "oxh_check", "password_env": "OXH_TEST_DB_PASSWORD"}}
            for node in topology.database.nodes
        ],
        "database_write": host_port("mysql_write"),
        "mail_domain": topology.mail_domain,
    }


def qualify(path: Path, reports: Path, env: dict[str, str]) -> tuple[int, str, dict | None]:
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "qualify", "--target", str(path)],
        capture_output=True, text=True, cwd=REPO, timeout=600,
        env={**os.environ, "OXH_REPORTS_DIR": str(reports), **env},
    )
    match = re.search(r"report: (\S+)/report\.html", result.stdout)
    results = json.loads((Path(match.group(1)) / "results.json").read_text()) if match else None
    return result.returncode, result.stdout + result.stderr, results


@pytest.fixture
def write_target(tmp_path, ci_small):
    cluster, topology = ci_small

    def write(**changes) -> Path:
        data = {**target_data(cluster, topology), **changes}
        path = tmp_path / "target.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    return write


@pytest.fixture
def secrets_env(ci_small) -> dict[str, str]:
    cluster, _ = ci_small
    secrets = cluster.state.secrets()
    return {"OXH_TEST_MASTER_PASSWORD": secrets["admin_master"], "OXH_TEST_DB_PASSWORD": secrets["mysql_check"]}


@pytest.fixture
def run_contexts(ci_small):
    """Contexts made by qualification runs (their names start with oxhq)."""
    cluster, _ = ci_small
    provisioning = Provisioning(cluster.endpoints()["http"], Credentials("oxadminmaster", cluster.state.secrets()["admin_master"]))
    return lambda: sorted(c.name for c in provisioning.list_contexts("oxhq*"))


def test_a_remote_target_is_judged_by_its_read_only_requirements(write_target, secrets_env, tmp_path, run_contexts):
    before = run_contexts()
    code, output, results = qualify(write_target(), tmp_path, secrets_env)
    verdict = verdict_of(next(tmp_path.glob("*/results.json")).parent)
    statuses = {v.id: v.status for v in verdict.requirements}
    assert verdict.kind == "remote" and not verdict.having("failed"), output
    assert statuses["DB-REPL"] == statuses["MAIL-SHARED"] == statuses["VIP-DB-PREFERRED"] == "passed"
    assert statuses["VIP-BAL"] == statuses["FAILOVER-MTA-STOPPED"] == "not required"
    assert [v.id for v in verdict.missing] == ["BAL-ADMIN-LOCAL"], verdict.reasons()
    assert "it is an admin client of this target" in verdict.missing[0].reason
    assert code == 1 and "NOT QUALIFIED" in output
    assert run_contexts() == before, "the run left its test context behind"
    report = next(tmp_path.glob("*/report.html")).read_text()
    assert secrets_env["OXH_TEST_MASTER_PASSWORD"] not in report


def test_a_secret_in_the_target_file_is_refused(write_target, secrets_env, tmp_path):
    path = write_target(master_admin={"login": "oxadminmaster", "password": "written-in-clear"})
    code, output, _ = qualify(path, tmp_path, secrets_env)
    assert code == 2
    assert "secrets must not be written in a target file:" in output
    assert re.search(r"\.yaml:\d+:\d+: master_admin\.password: a secret in clear", output), output
    assert "Traceback" not in output


@pytest.mark.parametrize("case", ["wrong admin password", "TLS against a plain port", "unreachable target"])
def test_bad_targets_end_with_exit_code_2_and_leave_no_users(case, write_target, secrets_env, tmp_path, ci_small, run_contexts):
    cluster, _ = ci_small
    env, changes = dict(secrets_env), {}
    if case == "wrong admin password":
        env["OXH_TEST_MASTER_PASSWORD"] = "wrong"
        expected = "authentication failed"
    elif case == "TLS against a plain port":
        changes["http_url"] = cluster.endpoints()["http"].replace("http://", "https://")
        expected = "ssl"
    else:
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        changes["http_url"] = f"http://127.0.0.1:{port}"
        expected = "connection refused"
    before = run_contexts()
    code, output, results = qualify(write_target(**changes), tmp_path, env)
    assert code == 2, output
    assert expected in output.lower()
    assert results is not None and expected in (results["exit_reason"] or "").lower()
    assert "Traceback" not in output.split("NOT QUALIFIED")[-1]
    assert run_contexts() == before
