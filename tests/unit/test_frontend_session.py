"""A browser's OX session from its cookies, the page's API traffic, and the node a JSESSIONID route names."""

from __future__ import annotations

from harness.browser.api_traffic import Answer, ApiTraffic, error_code, parse_call, route_of_response
from harness.browser.ox_session import route_from_cookies, session_of
from harness.faults.catalogue import Fault, Selector
from harness.models.layout import Layout, NodeInfo
from suites.frontend.test_browser_failover import fault_for

COOKIES = [
    {"name": "JSESSIONID", "value": "1733170000000.OX2", "domain": "127.0.0.1", "path": "/"},
    {"name": "open-xchange-session-Hd1x", "value": "b3a1e9", "domain": "127.0.0.1", "path": "/"},
    {"name": "open-xchange-secret-Hd1x", "value": "s3cr3t", "domain": "127.0.0.1", "path": "/"},
    {"name": "open-xchange-public-session-Hd1x", "value": "p1", "domain": "127.0.0.1", "path": "/"},
]


def test_the_session_id_secret_and_route_come_from_the_browsers_cookies():
    session = session_of(COOKIES)
    assert session.session_id == "b3a1e9" and session.has_secret and session.route == "OX2"
    assert route_from_cookies(COOKIES) == "OX2"


def test_without_a_session_cookie_the_session_the_page_sent_is_used():
    cookies = [c for c in COOKIES if not c["name"].startswith("open-xchange-session-")]
    assert session_of(cookies, seen_session="from-request").session_id == "from-request"
    assert session_of([], None).session_id is None and session_of([]).route is None
    assert route_from_cookies([{"name": "JSESSIONID", "value": "no-route"}]) is None


def test_api_calls_are_told_apart_from_other_requests():
    assert parse_call("http://h:1/appsuite/api/mail?action=all&folder=default0%2FINBOX&session=abc") == \
        ("mail", "all", "abc")
    assert parse_call("http://h/appsuite/api/apps/manifests?action=config") == ("apps/manifests", "config", None)
    assert parse_call("http://h/ajax/login?action=login") == ("login", "login", None)
    assert parse_call("http://h/appsuite/js/main.js") is None


def test_the_ox_error_code_is_read_from_the_envelope_and_from_an_upload_callback():
    assert error_code(b'{"error":"Session expired","code":"SES-0203","category":4}') == "SES-0203"
    html = b'<html><script>parent.callback_new({"error":"x","code":"FLS-0017","category":5})</script></html>'
    assert error_code(html) == "FLS-0017"
    assert error_code(b'{"data":{"code":"not an error"}}') == "" and error_code(b"") == ""


def test_the_answering_route_comes_from_set_cookie():
    assert route_of_response("JSESSIONID=1733.OX3; Path=/", "OX1") == "OX3"
    assert route_of_response("open-xchange-secret-x=1; Path=/\nJSESSIONID=9.OX2; Path=/", None) == "OX2"
    assert route_of_response(None, "OX1") == "OX1"


def test_session_errors_are_picked_from_the_traffic_since_a_moment():
    traffic = ApiTraffic(answers=[Answer(1.0, "mail", "all", 200, "SES-0203", "OX1"),
                                  Answer(2.0, "mail", "all", 200, "", "OX2"),
                                  Answer(3.0, "mail", "get", 503, "", "OX2"),
                                  Answer(4.0, "chronos", "all", 200, "SES-0206", "OX2")])
    assert [a.code for a in traffic.errors(since=1.5, prefix="SES-")] == ["SES-0206"]
    assert [(a.status, a.code) for a in traffic.errors(since=1.5)] == [(503, ""), (200, "SES-0206")]


def layout() -> Layout:
    nodes = [NodeInfo(name, "middleware", f"172.30.0.3{i}", route=f"OX{i}", pools=("oxcluster",))
             for i, name in enumerate(("ox-1", "ox-2", "ox-3"), start=1)]
    return Layout(nodes=tuple(nodes))


def test_the_node_killed_is_the_one_the_browsers_route_points_to():
    fault = fault_for("middleware-node-killed", "OX2", layout())
    assert fault == Fault("lose", Selector("middleware", "named", ("ox-2",)))
    balancer = fault_for("balancer-vip-holder-killed", "OX2", layout())
    assert balancer.selector == Selector("balancer", "vip_holder")
