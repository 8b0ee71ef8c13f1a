"""The configuration files rendered for ci-small say what an operator would check in them."""

from __future__ import annotations

import json
import re
from ipaddress import ip_network

import pytest

from harness.backends.docker.configs import render_node
from harness.backends.docker.relocate import relocate
from harness.models import loader

SECRETS = {
    name: f"secret-{name}"
    for name in ("mysql_root", "mysql_replication", "mysql_app", "mysql_check", "mysql_dovecot", "imap_master", "admin_master")
}


@pytest.fixture(scope="module")
def topology():
    return loader.load("ci-small")


def rendered(topology, name: str) -> dict[str, str]:
    for role, node in topology.nodes():
        if node.name == name:
            return render_node(topology, role, node, SECRETS)
    raise KeyError(name)


def proxy_conf(topology) -> str:
    return rendered(topology, "lb-1")["/etc/apache2/conf-enabled/proxy_http.conf"]


def members(conf: str, pool: str) -> list[str]:
    block = re.search(rf"<Proxy balancer://{pool}>(.*?)</Proxy>", conf, re.S).group(1)
    return re.findall(r"BalancerMember (\S+) .*route=(\w+)", block)


def test_pools_have_exactly_their_members_with_routes(topology):
    conf = proxy_conf(topology)
    assert members(conf, "oxcluster") == [("http://172.30.0.31:8009", "OX1"), ("http://172.30.0.32:8009", "OX2")]
    assert members(conf, "oxcluster_docs") == [("http://172.30.0.31:8009", "OX1"), ("http://172.30.0.33:8009", "OX3")]
    assert members(conf, "oxcluster_sync") == [("http://172.30.0.32:8009", "OX2"), ("http://172.30.0.33:8009", "OX3")]
    assert conf.count("ProxySet stickysession=JSESSIONID|jsessionid scolonpathdelim=On") == 3


def test_members_are_tuned_for_quick_failover(topology):
    conf = proxy_conf(topology)
    for line in re.findall(r"BalancerMember .*", conf):
        assert "connectiontimeout=1" in line and "retry=5" in line and "smax=0" in line and "ttl=60" in line
    sync = re.search(r"<Proxy balancer://oxcluster_sync>(.*?)</Proxy>", conf, re.S).group(1)
    assert "timeout=1900" in sync


def test_longer_paths_come_before_the_paths_they_extend(topology):
    mounts = re.findall(r"^\s*ProxyPass (/\S+) balancer://", proxy_conf(topology), re.M)
    for earlier, later in (("/servlet/dav", "/servlet"), ("/appsuite/api/oxodocumentconverter", "/appsuite/api")):
        assert mounts.index(earlier) < mounts.index(later)


def test_document_previews_are_routed_to_the_docs_pool(topology):
    conf = proxy_conf(topology)
    assert re.search(r"RewriteRule \^/appsuite/api/files\$ balancer://oxcluster_docs/appsuite/api/files \[P,QSA\]", conf)


def test_admin_locations_are_restricted(topology):
    conf = proxy_conf(topology)
    for location in ("/balancer-manager", "/webservices", "/health/oxcluster"):
        block = re.search(rf"<Location {location}>(.*?)</Location>", conf, re.S).group(1)
        assert "Require local" in block
        assert "Require all granted" not in block


def test_keepalived_balancers_share_a_vrid_with_distinct_priorities(topology):
    confs = [rendered(topology, name)["/etc/keepalived/keepalived.conf"] for name in ("lb-1", "lb-2")]
    assert all("virtual_router_id 51" in conf and "172.30.0.10/24 dev eth0" in conf for conf in confs)
    assert "priority 150" in confs[0] and "priority 100" in confs[1]
    assert all("pgrep -x apache2" in conf for conf in confs)


def test_database_write_vip_has_its_own_vrid(topology):
    for name in ("db-1", "db-2"):
        conf = rendered(topology, name)["/etc/keepalived/keepalived.conf"]
        assert "virtual_router_id 52" in conf and "172.30.0.20/24" in conf and "pgrep -x mariadbd" in conf


def test_masters_have_distinct_ids_and_offsets(topology):
    settings = []
    for name in ("db-1", "db-2"):
        cnf = rendered(topology, name)["/etc/mysql/mariadb.conf.d/90-oxh.cnf"]
        values = dict(re.findall(r"^(\w+) = (\S+)$", cnf, re.M))
        assert values["auto_increment_increment"] == "2"
        assert values["log_slave_updates"] == "ON" and values["binlog_format"] == "ROW"
        settings.append((values["server_id"], values["gtid_domain_id"], values["auto_increment_offset"]))
    assert settings == [("1", "1", "1"), ("2", "2", "2")]


def test_masters_close_connections_whose_client_vanished_within_seconds(topology):
    # After the write VIP moves, a middleware connection to the old holder is half-open: only keepalive
    # probes find it, and until then its open transaction blocks replication.
    cnf = rendered(topology, "db-1")["/etc/mysql/mariadb.conf.d/90-oxh.cnf"]
    values = dict(re.findall(r"^(\w+) = (\S+)$", cnf, re.M))
    idle, interval, probes = (int(values[f"tcp_keepalive_{key}"]) for key in ("time", "interval", "probes"))
    assert 0 < idle + interval * probes <= 10


def test_masters_roll_back_a_transaction_its_client_left_idle(topology):
    # A frozen client answers the keepalive probes, and a socket whose last answer is unacknowledged is
    # not probed at all; the open transaction's row locks would hold replication up for minutes or hours.
    cnf = rendered(topology, "db-1")["/etc/mysql/mariadb.conf.d/90-oxh.cnf"]
    values = dict(re.findall(r"^(\w+) = (\S+)$", cnf, re.M))
    assert 0 < int(values["idle_transaction_timeout"]) <= 10


def test_replication_accounts_stay_local_and_each_master_follows_its_peer(topology):
    for name, peer in (("db-1", "172.30.0.22"), ("db-2", "172.30.0.21")):
        sql = rendered(topology, name)["/etc/oxh/init.sql"]
        assert sql.index("SET sql_log_bin = 0") < sql.index("'repl'@'%'") < sql.index("SET sql_log_bin = 1")
        assert sql.index("SET sql_log_bin = 1") < sql.index("CHANGE MASTER")
        assert f"MASTER_HOST = '{peer}'" in sql and "MASTER_USE_GTID = slave_pos" in sql
        assert "secret-mysql_replication" in sql


def test_middleware_config_points_writes_at_the_vip(topology):
    config = json.loads(rendered(topology, "ox-2")["/etc/oxh/middleware.json"])
    assert config["route"] == "OX2"
    assert config["db"]["write_host"] == "172.30.0.20" and config["db"]["read_host"] == "172.30.0.22"
    assert config["imap"]["hosts"] == ["172.30.0.51", "172.30.0.52"]
    assert "password" not in json.dumps(config)


def test_ganesha_exports_filestore_and_mail_to_the_subnet(topology):
    conf = rendered(topology, "nfs-1")["/etc/ganesha/ganesha.conf"]
    assert 'Path = "/srv/nfs/filestore"' in conf and 'Path = "/srv/nfs/mail"' in conf
    assert conf.count("Clients = 172.30.0.0/24") == 2 and "No_Root_Squash" in conf


def test_postfix_delivers_to_every_dovecot_over_lmtp(topology):
    conf = rendered(topology, "mta-1")["/etc/postfix/main.cf"]
    assert "virtual_mailbox_domains = ox.test" in conf
    assert "virtual_transport = lmtp:[172.30.0.51]:24, [172.30.0.52]:24" in conf
    # Only the middleware nodes submit; every other host is refused as a relay (MTA-NO-RELAY).
    assert "mynetworks = 127.0.0.0/8 172.30.0.31/32 172.30.0.32/32 172.30.0.33/32" in conf


def test_a_database_master_admits_only_the_tiers_that_use_it(topology):
    rules = rendered(topology, "db-1")["/etc/oxh/firewall.rules"]
    admitted = re.findall(r"--dport 3306 -s (\S+) -j ACCEPT", rules)
    # The middleware, Dovecot's SQL passdb, the other master, the edge and the engine's gateway (the harness).
    assert admitted == ["172.30.0.31", "172.30.0.32", "172.30.0.33", "172.30.0.51", "172.30.0.52", "172.30.0.22",
                        "172.30.0.5", "172.30.0.1"]
    assert rules.rstrip().endswith("-A INPUT -p tcp --dport 3306 -j REJECT --reject-with tcp-reset\nCOMMIT")
    assert "172.30.0.11" not in rules and "172.30.0.12" not in rules  # the balancers, which users reach


def test_dovecot_uses_nfs_safe_settings_and_sql_users(topology):
    files = rendered(topology, "imap-2")
    conf = files["/etc/dovecot/dovecot.conf"]
    for setting in ("mmap_disable = yes", "mail_fsync = always", "mail_nfs_storage = yes", "lock_method = dotlock"):
        assert setting in conf
    assert "host=172.30.0.20 dbname=configdb user=dovecot password=secret-mysql_dovecot" in files["/etc/dovecot/dovecot-sql.conf.ext"]
    assert files["/etc/dovecot/master-users"].strip() == "oxmaster:{PLAIN}secret-imap_master"


def test_relocating_keeps_host_parts_and_still_validates(topology):
    moved = relocate(topology, ip_network("172.30.9.0/24"))
    assert str(moved.network.subnet) == "172.30.9.0/24" and str(moved.network.dynamic_range) == "172.30.9.192/26"
    assert str(moved.balancer.vip.address) == "172.30.9.10" and str(moved.database.write_vip.address) == "172.30.9.20"
    assert str(moved.network.edge) == "172.30.9.5"
    assert [str(n.address) for _, n in moved.nodes()] == [
        str(a.address).replace("172.30.0.", "172.30.9.") for _, a in topology.nodes()
    ]


def test_balancers_serve_the_static_ui_and_redirect_the_root_to_it(topology):
    conf = proxy_conf(topology)
    assert re.search(r"^DocumentRoot /var/www/html$", conf, re.M)
    assert re.search(r"^RedirectMatch 302 \^/\$ /appsuite/$", conf, re.M)
    block = re.search(r"<Directory /var/www/html/appsuite>(.*?)</Directory>", conf, re.S).group(1)
    assert "DirectoryIndex index.html" in block and "Require all granted" in block


def test_the_static_ui_does_not_shadow_the_api(topology):
    """Only the pools' paths are proxied; no Alias or ProxyPass exclusion takes /appsuite/api away from them."""
    conf = proxy_conf(topology)
    assert re.search(r"^\s*ProxyPass /appsuite/api balancer://oxcluster/appsuite/api$", conf, re.M)
    assert not re.search(r"^\s*Alias\s", conf, re.M)
    assert not re.search(r"^\s*ProxyPass /appsuite(/api)?/? !", conf, re.M)


def test_the_balancer_image_carries_the_ui():
    from harness.backends.docker.images import IMAGES

    balancer = next(spec for spec in IMAGES if spec.name == "balancer")
    assert (balancer.extra_context["ui"] / "index.html").is_file()
    assert "COPY ui /var/www/html/appsuite" in (balancer.folder / "Dockerfile").read_text()
