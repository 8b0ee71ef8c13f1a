"""The OX HTTP client's reading of responses, and the conformance checker's reading of the spec."""

from __future__ import annotations

import httpx
import pytest

from harness.checks import conformance
from harness.clients.ox_errors import Category, OXError
from harness.clients.ox_http import route_of, unwrap


def response(body: str, content_type: str = "application/json", status: int = 200) -> httpx.Response:
    return httpx.Response(status, text=body, headers={"content-type": content_type})


def test_data_is_taken_from_the_envelope():
    assert unwrap(response('{"data": [1, 2], "timestamp": 5}')) == [1, 2]


def test_the_error_envelope_becomes_a_typed_exception():
    with pytest.raises(OXError) as raised:
        unwrap(response('{"error": "x", "code": "SES-0203", "category": 4, "categories": "TRY_AGAIN"}'), route="OX2")
    assert raised.value.session_expired and raised.value.category == Category.TRY_AGAIN and raised.value.route == "OX2"


def test_form_upload_answers_are_read_from_the_html_callback():
    page = ('<html><head><script type="text/javascript">(parent["callback_new"] || window.opener && '
            'window.opener["callback_new"])({"data":"17","timestamp":1})</script></head></html>')
    assert unwrap(response(page, "text/html")) == "17"


def test_route_comes_from_jsessionid():
    assert route_of("123456.OX3") == "OX3"
    assert route_of(None) is None and route_of("nodot") is None


@pytest.fixture
def spec():
    """The conformance checks need the spec; without it they would prove nothing, so that is a failure."""
    assert conformance.spec_path().exists(), (f"the OX HTTP API spec is not at {conformance.spec_path()}: "
                                              "put shared/ beside the checkout or set OXH_API_SPEC")


def test_a_wrong_type_is_a_violation(spec):
    problems = conformance.violations({"session": "s", "user_id": "3", "context_id": 1}, "/login?action=login", "POST")
    assert problems == ["user_id: '3' is not of type 'integer'"]


def test_column_lists_are_arrays_despite_the_spec_typing_them_object(spec):
    assert conformance.violations({"data": [["1", "Bob"]], "timestamp": 1}, "/contacts?action=all", "GET") == []


def test_flags_bit_masks_accept_combinations_but_not_negatives(spec):
    mail = {"data": {"id": "1", "folder_id": "default0/INBOX", "flags": 48}}
    assert conformance.violations(mail, "/mail?action=get", "GET") == []
    assert conformance.violations({"data": {"flags": -1}}, "/mail?action=get", "GET")


def test_unknown_operations_are_named(spec):
    with pytest.raises(KeyError, match="GET /nothing"):
        conformance.response_schema("/nothing", "GET")


def test_checksums_differ_when_a_table_is_on_one_master_or_a_checksum_is_null():
    from harness.clients.mysql import checksum_differences

    same = {"db-1": {"configdb.a": 1, "configdb.b": 2}, "db-2": {"configdb.a": 1, "configdb.b": 2}}
    assert checksum_differences(same) == []
    assert checksum_differences({"db-1": {"configdb.a": 1, "configdb.x": 5}, "db-2": {"configdb.a": 1}}) == [
        "configdb.x: only on db-1, missing on db-2"]
    assert checksum_differences({"db-1": {"configdb.a": None}, "db-2": {"configdb.a": None}}) == [
        "configdb.a: no checksum on db-1, db-2, so it cannot be shown equal"]
    assert checksum_differences({"db-1": {"configdb.a": 1}, "db-2": {"configdb.a": 3}}) == [
        "configdb.a: checksums differ (db-1 1, db-2 3)"]


def test_the_probe_of_each_pool_knows_app_suites_answer():
    import httpx

    from harness.clients.balancer import pool_probe

    sync = pool_probe(("/usm-json", "/Microsoft-Server-ActiveSync", "/servlet/dav"))
    assert (sync.method, sync.path) == ("OPTIONS", "/Microsoft-Server-ActiveSync")
    assert sync.judge(httpx.Response(200, headers={"MS-ASProtocolVersions": "14.1"})) is None
    assert "without MS-ASProtocolVersions" in sync.judge(httpx.Response(200))
    api = pool_probe(("/appsuite/api", "/ajax"))
    assert api.path == "/appsuite/api/config/identifier"
    assert api.judge(httpx.Response(200, json={"data": "x"})) is None
    assert api.judge(httpx.Response(200, json={"error": "expired", "code": "SES-0203"})) is None
    assert "not JSON" in api.judge(httpx.Response(404, text="404: Not Found"))
    assert "without data or an OX error code" in api.judge(httpx.Response(200, json={"status": "fine"}))
