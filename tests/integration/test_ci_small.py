"""ci-small really works: every part of the HA topology checked through the ports a user reaches.

Brings the whole reference topology up once for the module (images are
built as `oxh up` builds them) and checks what an operator would check
after installing the cluster.
"""

from __future__ import annotations

import email.message
import json
import secrets
import smtplib
import subprocess
import sys

import httpx
import pymysql
import pytest

from harness.clients import mail
from harness.wait import last_value

pytestmark = pytest.mark.integration


def host_port(cluster, node: str, port: int) -> int:
    return int(cluster.endpoints()[f"{node}:{port}"].split(":")[1])


def served_routes(client: httpx.Client, path: str, count: int, cookies: dict | None = None) -> list[str]:
    """Route of the node that answered each request, every request with only `cookies` set."""
    routes = []
    for _ in range(count):
        client.cookies.clear()
        client.cookies.update(cookies or {})
        response = client.get(path)
        assert response.status_code == 200, response.text
        routes.append(response.json()["route"])
    return routes


@pytest.fixture(scope="module")
def vip(ci_small):
    cluster, _ = ci_small
    with httpx.Client(base_url=cluster.endpoints()["http"], timeout=10) as client:
        yield client


def test_requests_through_the_vip_reach_every_middleware_node(vip):
    groupware = set(served_routes(vip, "/health/oxcluster", 12))
    docs = set(served_routes(vip, "/health/oxcluster_docs", 8))
    sync = set(served_routes(vip, "/health/oxcluster_sync", 8))
    assert groupware == {"OX1", "OX2"}
    assert docs == {"OX1", "OX3"} and sync == {"OX2", "OX3"}  # every pool has two members


def test_jsessionid_route_sticks(vip):
    vip.cookies.clear()
    first = vip.get("/health/oxcluster")
    session_cookie = first.cookies.get("JSESSIONID")
    assert session_cookie and session_cookie.endswith("." + first.json()["route"])
    for route in ("OX1", "OX2"):
        routes = served_routes(vip, "/health/oxcluster", 8, cookies={"JSESSIONID": f"4711.{route}"})
        assert set(routes) == {route}


def test_balancer_manager_lists_the_pools_and_is_not_public(vip, ci_small):
    page = vip.get("/balancer-manager").text
    for pool in ("oxcluster", "oxcluster_docs", "oxcluster_sync"):
        assert f"balancer://{pool}" in page
    cluster, topology = ci_small
    # The middleware's own address is not an admin source: its request is refused.
    ox1 = cluster.node("ox-1").container
    probe = (
        "import urllib.request,urllib.error\n"
        f"try: urllib.request.urlopen('http://{topology.balancer.vip.address}/balancer-manager', timeout=3)\n"
        "except urllib.error.HTTPError as e: print(e.code)\n"
        "else: print(200)"
    )
    assert ox1.exec_run(["python3", "-c", probe]).output.decode().strip() == "403"


def test_exactly_one_balancer_and_one_database_hold_their_vip(ci_small):
    cluster, topology = ci_small
    holders = cluster.vip_holders(topology)
    assert len(holders[str(topology.balancer.vip.address)]) == 1
    assert len(holders[str(topology.database.write_vip.address)]) == 1


def mysql(cluster, node: str, database: str | None = None):
    return pymysql.connect(
        host="127.0.0.1",
        port=host_port(cluster, node, 3306),
        user="root",
        password=cluster.state.secrets()["mysql_root"],
        database=database,
        autocommit=True,
        connect_timeout=5,
    )


def wait_for_row(connection, query: str, args: tuple, timeout: float = 10.0):
    def row():
        with connection.cursor() as cursor:
            cursor.execute(query, args)
            return cursor.fetchone()

    return last_value(row, bool, timeout=timeout, interval=0.1)


def test_rows_replicate_in_both_directions(ci_small):
    cluster, _ = ci_small
    db1, db2 = mysql(cluster, "db-1"), mysql(cluster, "db-2")
    with db1.cursor() as cursor:
        cursor.execute("CREATE DATABASE IF NOT EXISTS oxh_it")
        cursor.execute("CREATE TABLE IF NOT EXISTS oxh_it.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))")
    assert wait_for_row(db2, "SHOW TABLES FROM oxh_it LIKE 't'", ())
    one, two = f"db1-{secrets.token_hex(4)}", f"db2-{secrets.token_hex(4)}"
    with db1.cursor() as cursor:
        cursor.execute("INSERT INTO oxh_it.t (v) VALUES (%s)", (one,))
    with db2.cursor() as cursor:
        cursor.execute("INSERT INTO oxh_it.t (v) VALUES (%s)", (two,))
    row_on_2 = wait_for_row(db2, "SELECT id FROM oxh_it.t WHERE v = %s", (one,))
    row_on_1 = wait_for_row(db1, "SELECT id FROM oxh_it.t WHERE v = %s", (two,))
    assert row_on_2 and row_on_1
    # auto_increment offsets keep the two masters' keys apart.
    assert row_on_2[0] % 2 == 1 and row_on_1[0] % 2 == 0


def test_a_file_written_on_one_node_is_read_on_the_others(ci_small):
    cluster, _ = ci_small
    name = f"/var/opt/filestore/oxh-it-{secrets.token_hex(4)}"
    content = secrets.token_hex(32)
    assert cluster.node("ox-1").exec(f"echo {content} > {name}").ok
    for node in ("ox-2", "ox-3"):
        result = last_value(lambda reader=cluster.node(node): reader.exec(["cat", name]), lambda r: r.ok, timeout=5)
        assert result.output.strip() == content, f"{node} does not see what ox-1 wrote"


def test_smtp_message_reaches_the_mailbox_on_both_imap_servers(ci_small):
    cluster, topology = ci_small
    user = f"it-{secrets.token_hex(3)}@{topology.mail_domain}"
    password = secrets.token_urlsafe(12)
    with mysql(cluster, "db-1").cursor() as cursor:
        cursor.execute(
            "INSERT INTO configdb.mail_user (email, password) VALUES (%s, %s)", (user, "{PLAIN}" + password)
        )
    subject = f"oxh integration {secrets.token_hex(4)}"
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = "qa@" + topology.mail_domain, user, subject
    message.set_content("delivered through Postfix and LMTP")
    with smtplib.SMTP("127.0.0.1", host_port(cluster, "mta-1", 25), timeout=10) as smtp:
        smtp.send_message(message)
    for node in ("imap-1", "imap-2"):
        assert subject in wait_for_subjects(host_port(cluster, node, 143), user, password)


def wait_for_subjects(port: int, user: str, password: str, timeout: float = 20.0) -> list[str]:
    return last_value(lambda: mail.inbox_subjects("127.0.0.1", port, user, password), bool, timeout=timeout)


def test_status_reports_every_node_healthy(ci_small):
    cluster, topology = ci_small
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "status", "--json", "--project", cluster.project],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    nodes = {node["node"]: node for node in status["nodes"]}
    expected = {node.name for _, node in topology.nodes()} | {"edge"}
    assert set(nodes) == expected
    assert all(node["state"] == "running" and node["health"] == "healthy" for node in nodes.values())
    assert status["endpoints"]["http"].startswith("http://127.0.0.1:")
