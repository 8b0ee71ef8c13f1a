"""Column mapping of all/list answers, the node configuration, the Prometheus text, caches, budgets, sessions and
the order mail servers are tried in."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from oxref import budget, columns, errors
from oxref import config as config_module
from oxref.cache import TTLCache
from oxref.mailstore import DOWN_MEMORY, MailStore
from oxref.metrics import Metrics
from oxref.sessions import LocalSessions, authenticate, new_session

NODE = {
    "node": "ox-1", "route": "OX1", "listen_port": 8009, "pools": ["oxcluster"],
    "db": {"write_host": "172.30.0.20", "read_host": "172.30.0.22", "port": 3306, "user": "oxmw", "configdb": "configdb"},
    "imap": {"hosts": ["172.30.0.61", "172.30.0.62"], "port": 143, "master_user": "oxmaster"},
    "smtp": {"host": "172.30.0.71", "port": 25},
    "filestore": {"path": "/var/opt/filestore"},
    "sessions": {"storage": "shared", "timeout_seconds": 3600},
    "mail_domain": "ox.test",
}


# -- columns ------------------------------------------------------------------------


def test_columns_are_answered_in_the_requested_order_with_null_for_unknown_ones():
    contact = {"id": "7", "folder_id": "31", "display_name": "Carl", "email1": "carl@example.org"}
    names = {1: "id", 20: "folder_id", **{c: name for c, (name, _) in columns.CONTACT_FIELDS.items()}}
    assert columns.rows([contact], [555, 1, 500, 9999], names) == [["carl@example.org", "7", "Carl", None]]


def test_column_ids_follow_ox():
    assert columns.FOLDER[300] == "title" and columns.FOLDER[301] == "module" and columns.FOLDER[20] == "folder_id"
    assert columns.CONTACT_FIELDS[500][0] == "display_name" and columns.CONTACT_FIELDS[555][0] == "email1"
    assert columns.TASK_FIELDS[200][0] == "title" and columns.TASK_FIELDS[309][0] == "priority"
    assert columns.INFOSTORE[700] == "title" and columns.INFOSTORE[702] == "filename"
    assert columns.INFOSTORE[705] == "version" and columns.INFOSTORE[711] == "number_of_versions"
    assert columns.MAIL[600] == "id" and columns.MAIL[607] == "subject" and columns.MAIL[611] == "flags"


def test_column_lists_are_parsed_strictly():
    assert columns.parse("1,20,500") == [1, 20, 500]
    assert columns.parse(" 1, 20 ,") == [1, 20]
    with pytest.raises(ValueError):
        columns.parse("1,title")
    assert columns.parse("600,X-Priority", allow_names=True) == [600, "X-Priority"]
    with pytest.raises(ValueError):
        columns.parse("600,a b", allow_names=True)


# -- configuration ------------------------------------------------------------------


def test_the_contract_configuration_loads_with_secrets_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "middleware.json"
    path.write_text(json.dumps(NODE))
    monkeypatch.setenv("OXH_MIDDLEWARE_CONFIG", str(path))
    monkeypatch.setenv("OXH_DB_PASSWORD", "dbpw")
    monkeypatch.setenv("OXH_IMAP_MASTER_PASSWORD", "imappw")
    monkeypatch.setenv("OX_MASTER_PASSWORD", "adminpw")
    monkeypatch.delenv("OX_MASTER_ADMIN", raising=False)
    config = config_module.load()
    assert (config.node, config.route, config.listen_port) == ("ox-1", "OX1", 8009)
    assert (config.db_password, config.imap_master_password) == ("dbpw", "imappw")
    assert (config.admin_login, config.admin_password) == ("oxadminmaster", "adminpw")
    assert config.shared_sessions and config.session_timeout == 3600
    assert "dbpw" not in repr(config) and "adminpw" not in repr(config)


def test_bad_configurations_say_what_is_wrong(tmp_path):
    with pytest.raises(config_module.ConfigError, match="OXH_MIDDLEWARE_CONFIG"):
        config_module.load(str(tmp_path / "missing.json"))
    with pytest.raises(config_module.ConfigError, match="'route'"):
        config_module.parse({k: v for k, v in NODE.items() if k != "route"})
    with pytest.raises(config_module.ConfigError, match="db.read_host"):
        config_module.parse({**NODE, "db": {"write_host": "x", "user": "u"}})
    with pytest.raises(config_module.ConfigError, match="sessions.storage"):
        config_module.parse({**NODE, "sessions": {"storage": "redis"}})
    assert not config_module.parse({**NODE, "sessions": {"storage": "local"}}).shared_sessions
    assert config_module.parse({**NODE, "future_key": 1}).node == "ox-1"


# -- metrics ------------------------------------------------------------------------


def test_metrics_are_prometheus_text_under_app_suites_names():
    from prometheus_client.parser import text_string_to_metric_families

    metrics = Metrics("ox-1")
    metrics.observe("config", "get", "ok", 0.003)
    metrics.observe("mail", "all", "MSG-1016", 4.6)
    metrics.backend_error("MSG-1016")
    metrics.response("api", 200)
    text = metrics.render(5, "local")
    families = {family.name: family for family in text_string_to_metric_families(text)}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    api = (("action", "get"), ("module", "config"), ("status", "OK"))
    assert samples[("appsuite_httpapi_requests_seconds_count", api)] == 1
    assert samples[("appsuite_httpapi_requests_seconds_bucket", tuple(sorted((*api, ("le", "0.005")))))] == 1
    assert samples[("appsuite_httpapi_requests_seconds_count",
                    (("action", "all"), ("module", "mail"), ("status", "MSG-1016")))] == 1
    assert samples[("appsuite_sessions_active_total", ())] == 5
    assert samples[("ox_http_requests_total", (("action", "get"), ("module", "config"), ("node", "ox-1"),
                                               ("status", "ok")))] == 1
    assert samples[("ox_http_request_duration_seconds_count", (("node", "ox-1"),))] == 2
    assert samples[("ox_backend_errors_total", (("code", "MSG-1016"), ("node", "ox-1")))] == 1
    assert samples[("ox_sessions_storage_info", (("node", "ox-1"), ("storage", "local")))] == 1


def test_metric_labels_from_requests_are_escaped():
    metrics = Metrics("ox-1")
    metrics.observe('x"y', "a\\b\nc", "ok", 0.1)
    assert 'action="a\\\\b\\nc",module="x\\"y"' in metrics.render(None)


# -- caches, budgets, local sessions ---------------------------------------------------


def test_concurrent_misses_share_one_load():
    calls = 0

    async def load():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return "row"

    async def main():
        cache = TTLCache(seconds=1.0)
        results = await asyncio.gather(*(cache.get("k", load) for _ in range(20)))
        assert results == ["row"] * 20
        assert await cache.get("k", load) == "row"

    asyncio.run(main())
    assert calls == 1


def test_a_failed_load_reaches_every_waiter_and_is_not_cached():
    async def fail():
        await asyncio.sleep(0.01)
        raise errors.database_down("gone")

    async def main():
        cache = TTLCache(seconds=1.0)
        results = await asyncio.gather(*(cache.get("k", fail) for _ in range(3)), return_exceptions=True)
        assert all(isinstance(r, errors.OXException) and r.code == "DBP-0001" for r in results)
        assert "k" not in cache.entries

    asyncio.run(main())


def test_running_out_of_time_names_the_backend_waited_on():
    async def slow(backend):
        with budget.track(backend):
            await asyncio.sleep(1)

    async def main():
        for backend, code, category in (("imap", "MSG-1016", errors.CONNECTIVITY),
                                        ("filestore", "FLS-0017", errors.SERVICE_DOWN),
                                        ("database", "DBP-0002", errors.TRY_AGAIN)):
            with pytest.raises(errors.OXException) as caught:
                await budget.within_budget(slow(backend), 0.05)
            assert (caught.value.code, caught.value.category) == (code, category)

    asyncio.run(main())


def test_local_sessions_expire_when_unused(monkeypatch):
    async def main():
        store = LocalSessions(timeout_seconds=60)
        session = new_session(5, 3, "anton@ctx5", "open-xchange-appsuite", "UA", "ox-1")
        await store.put(session)
        assert await store.get(session.session_id) is session
        session.last_active -= 61_000
        assert await store.get(session.session_id) is None
        assert await store.count() == 0

    asyncio.run(main())


def test_a_logged_out_local_session_is_no_longer_stored():
    async def main():
        store = LocalSessions(timeout_seconds=60)
        session = new_session(5, 3, "anton@ctx5", "open-xchange-appsuite", "UA", "ox-1")
        await store.put(session)
        assert await store.exists(session.session_id)
        await store.remove(session.session_id)
        assert not await store.exists(session.session_id)

    asyncio.run(main())


# -- mail servers -------------------------------------------------------------------


def test_imap_servers_that_failed_lately_are_tried_last_the_latest_failure_last_of_all(tmp_path, monkeypatch):
    path = tmp_path / "node.json"
    path.write_text(json.dumps(NODE))
    monkeypatch.setenv("OXH_DB_PASSWORD", "x")
    monkeypatch.setenv("OXH_IMAP_MASTER_PASSWORD", "y")
    monkeypatch.setenv("OX_MASTER_PASSWORD", "z")
    store = MailStore(config_module.load(str(path)))
    first, second = NODE["imap"]["hosts"]
    assert store._hosts() == [first, second]
    now = time.monotonic()
    store.failed_at[first] = now
    assert store._hosts() == [second, first]
    store.failed_at[second] = now + 0.5  # the second answered slowly after the first had died
    store.failed_at[first] = now + 1.0  # and the first failed again when it was tried
    assert store._hosts() == [second, first]
    store.failed_at[first] = now - DOWN_MEMORY - 1  # long ago: back in configured order
    assert store._hosts() == [first, second]


def test_a_session_logged_out_on_another_node_answers_expired_not_a_wrong_secret():
    """Another node's cache (or the read side) may still hold the session for a second after the logout, while
    the client has lost its secret cookie with it."""
    async def main():
        session = new_session(5, 3, "anton@ctx5", "open-xchange-appsuite", "UA", "ox-1")
        cached = LocalSessions(timeout_seconds=60)
        await cached.put(session)

        class LoggedOut(LocalSessions):
            async def exists(self, session_id):
                return False  # the write master no longer has it

        for store, code in ((cached, "SES-0206"), (LoggedOut(60), "SES-0203")):
            await store.put(session)
            with pytest.raises(errors.OXException) as refused:
                await authenticate(store, session.session_id, cookies={})
            assert refused.value.code == code

    asyncio.run(main())
