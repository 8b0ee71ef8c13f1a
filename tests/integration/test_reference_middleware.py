"""The reference middleware honours the OX contract, checked through the balancer VIP.

Every response is validated against the public OpenAPI spec of the OX HTTP
API; third-party clients (zeep, imapclient) do the round trips a control
panel and a mail client would do.
"""

from __future__ import annotations

import json
import secrets

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.backends.docker.access import DockerAccess
from harness.checks import conformance
from harness.clients.mail import wait_for_subject
from harness.clients.ox_errors import Category, OXError
from harness.clients.ox_http import OXClient
from harness.clients.provisioning import (CONTEXT_IDS, Credentials, Provisioning, ProvisioningError,
                                          temporary_context)
from harness.wait import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def base_url(ci_small):
    cluster, _ = ci_small
    return cluster.endpoints()["http"]


@pytest.fixture(scope="module")
def master(ci_small):
    cluster, _ = ci_small
    return Credentials("oxadminmaster", cluster.state.secrets()["admin_master"])


@pytest.fixture(scope="module")
def context(base_url, master, ci_small):
    """A context with an admin and two users, made over SOAP and removed afterwards."""
    _, topology = ci_small
    provisioning = Provisioning(base_url, master)
    with temporary_context(provisioning, "it", ["anton", "berta"], topology.mail_domain) as made:
        users = {name: {"login": u.login, "password": u.password, "email": u.email, "id": u.user_id}
                 for name, u in made.users.items()}
        yield {"cid": made.cid, "name": made.name, "admin": made.admin, "users": users, "provisioning": provisioning}


def login(base_url, user, **client_options):
    client = OXClient(base_url, **client_options)
    return client, client.login(user["login"], user["password"])


def require_spec():
    assert conformance.spec_path().exists(), (f"the OX HTTP API spec is not at {conformance.spec_path()}: "
                                              "put shared/ beside the checkout or set OXH_API_SPEC")


def assert_conforms(payload, path_key, method="GET"):
    problems = conformance.violations(payload, path_key, method)
    assert not problems, f"{method} {path_key} departs from the spec:\n" + "\n".join(problems)


# -- login and sessions ------------------------------------------------------------


def test_login_sets_the_ox_cookies_and_conforms(base_url, context):
    require_spec()
    client = OXClient(base_url)
    response = client.http.post(
        "/appsuite/api/login",
        params={"action": "login"},
        data={"name": context["users"]["anton"]["login"], "password": context["users"]["anton"]["password"],
              "client": "open-xchange-appsuite"},
    )
    payload = response.json()
    assert_conforms(payload, "/login?action=login", "POST")
    assert payload["user_id"] == context["users"]["anton"]["id"] and payload["context_id"] == context["cid"]
    names = set(response.cookies.keys())
    assert any(name.startswith("open-xchange-secret-") for name in names)
    assert any(name.startswith("open-xchange-public-session-") for name in names)
    assert response.cookies["JSESSIONID"].rsplit(".", 1)[1] in {"OX1", "OX2"}


def test_wrong_password_is_lgi_0006(base_url, context):
    with pytest.raises(OXError) as raised:
        login(base_url, {**context["users"]["anton"], "password": "wrong"})
    assert raised.value.code == "LGI-0006" and raised.value.category == Category.USER_INPUT


def test_session_and_secret_are_enforced(base_url, context):
    client, session = login(base_url, context["users"]["anton"])
    assert client.http.get("/appsuite/api/config/identifier").json()["code"] == "SES-0201"
    assert client.http.get("/appsuite/api/config/identifier", params={"session": "0" * 32}).json()["code"] == "SES-0203"
    stranger = OXClient(base_url)
    stranger.pin_route(client.route)
    envelope = stranger.http.get("/appsuite/api/config/identifier", params={"session": session.id}).json()
    assert envelope["code"] == "SES-0206" and envelope["category"] == Category.TRY_AGAIN


def test_store_autologin_and_logout(base_url, context):
    client, session = login(base_url, context["users"]["berta"])
    client.api("GET", "login", "store", params={"session": session.id})
    again = client.autologin()
    assert again.id == session.id
    session.logout()
    with pytest.raises(OXError) as raised:
        session.get("config", None)
    assert raised.value.code in ("SES-0203", "SES-0201")


# -- modules conform to the spec ---------------------------------------------------


@pytest.fixture(scope="module")
def anton(base_url, context):
    client, session = login(base_url, context["users"]["anton"])
    folders = client.http.get("/appsuite/api/config/folder", params={"session": session.id}).json()["data"]
    return client, session, folders


def raw(client, method, path, session, **kwargs):
    params = {**kwargs.pop("params", {}), "session": session.id}
    response = client.http.request(method, f"/appsuite/api/{path}", params=params, **kwargs)
    assert response.headers["content-type"].startswith(("application/json", "text/html")), response.text[:200]
    return response.json() if "json" in response.headers["content-type"] else None


def test_config_and_folders_conform(anton):
    require_spec()
    client, session, folders = anton
    assert_conforms(raw(client, "GET", "config/folder/contacts", session), "/config/{path}")
    for action, extra, key in (
        ("root", {}, "/folders?action=root"),
        ("list", {"parent": "1"}, "/folders?action=list"),
        ("allVisible", {"content_type": "contacts"}, "/folders?action=allVisible"),
    ):
        payload = raw(client, "GET", "folders", session, params={"action": action, "columns": "1,300,301", **extra})
        assert "error" not in payload, payload
        assert_conforms(payload, key)
    folder = raw(client, "GET", "folders", session, params={"action": "get", "id": str(folders["tasks"])})
    assert_conforms(folder, "/folders?action=get")
    assert folder["data"]["module"] == "tasks"


def test_contacts_create_read_update_delete(anton):
    require_spec()
    client, session, folders = anton
    folder = str(folders["contacts"])
    created = raw(client, "PUT", "contacts", session, params={"action": "new"},
                  json={"folder_id": folder, "display_name": "Clara C", "email1": "clara@example.test"})
    assert_conforms(created, "/contacts?action=new", "PUT")
    ident = created["data"]["id"]
    listed = raw(client, "GET", "contacts", session, params={"action": "all", "folder": folder, "columns": "1,500,555"})
    assert_conforms(listed, "/contacts?action=all")
    assert [ident, "Clara C", "clara@example.test"] in listed["data"]
    session.put("contacts", "update", {"display_name": "Clara D"}, id=ident, folder=folder, timestamp=listed["timestamp"])
    got = raw(client, "GET", "contacts", session, params={"action": "get", "id": ident, "folder": folder})
    assert_conforms(got, "/contacts?action=get")
    assert got["data"]["display_name"] == "Clara D"
    assert session.put("contacts", "delete", [{"id": ident, "folder": folder}], timestamp=got["timestamp"]) == {}
    with pytest.raises(OXError) as raised:
        session.get("contacts", "get", id=ident, folder=folder)
    assert raised.value.category == Category.USER_INPUT


def test_tasks_and_calendar_round_trip(anton):
    require_spec()
    client, session, folders = anton
    task = raw(client, "PUT", "tasks", session, params={"action": "new"}, json={"folder_id": str(folders["tasks"]), "title": "Qualify"})
    assert_conforms(task, "/tasks?action=new", "PUT")
    tasks = raw(client, "GET", "tasks", session, params={"action": "all", "folder": str(folders["tasks"]), "columns": "1,200"})
    assert_conforms(tasks, "/tasks?action=all")
    assert [task["data"]["id"], "Qualify"] in tasks["data"]
    event = {"summary": "Release review", "startDate": {"value": "20270105T100000", "tzid": "Europe/Berlin"},
             "endDate": {"value": "20270105T110000", "tzid": "Europe/Berlin"}}
    created = raw(client, "PUT", "chronos", session, params={"action": "new", "folder": str(folders["calendar"])}, json=event)
    assert_conforms(created, "/chronos?action=new", "PUT")
    events = raw(client, "GET", "chronos", session, params={
        "action": "all", "folder": str(folders["calendar"]), "rangeStart": "20270101T000000Z", "rangeEnd": "20270201T000000Z"})
    assert_conforms(events, "/chronos?action=all")
    assert [e["summary"] for e in events["data"]] == ["Release review"]


def test_a_file_uploaded_on_one_node_downloads_through_another(anton, base_url, context):
    require_spec()
    client, session, folders = anton
    content = secrets.token_bytes(300_000)
    ident = session.call("POST", "infostore", "new", files={"file": ("report.bin", content, "application/octet-stream")},
                         data={"json": json.dumps({"folder_id": str(folders["infostore"])})})
    uploaded_on = client.route
    other = {"OX1": "OX2", "OX2": "OX1"}[uploaded_on]
    client.pin_route(other)
    document = client.http.get("/appsuite/api/files", params={
        "action": "document", "session": session.id, "id": ident, "folder": str(folders["infostore"])})
    assert document.content == content
    assert client.route == other
    listed = raw(client, "GET", "infostore", session, params={"action": "all", "folder": str(folders["infostore"]), "columns": "1,702,704"})
    assert_conforms(listed, "/infostore?action=all")
    assert [ident, "report.bin", len(content)] in listed["data"]
    assert_conforms(raw(client, "GET", "infostore", session, params={"action": "get", "id": ident}), "/infostore?action=get")


def test_previews_are_rendered_by_the_docs_pool(anton):
    client, session, folders = anton
    ident = session.call("POST", "infostore", "new", files={"file": ("notes.txt", b"Release notes\n" * 40, "text/plain")},
                         data={"json": json.dumps({"folder_id": str(folders["infostore"])})})
    preview = client.http.get("/appsuite/api/files", params={
        "action": "document", "session": session.id, "id": ident, "folder": str(folders["infostore"]),
        "format": "preview_image", "width": 120, "height": 160})
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert preview.content[:3] == b"\xff\xd8\xff"
    assert preview.headers["X-OX-Preview-Node"] in {"OX1", "OX3"}  # the docs pool's members


def test_mail_sent_through_the_api_arrives_and_is_seen_over_imap(anton, context, ci_small):
    require_spec()
    cluster, _ = ci_small
    client, session, _ = anton
    berta = context["users"]["berta"]
    subject = f"qualification {secrets.token_hex(3)}"
    sent = session.call("POST", "mail", "new", data={"json_0": json.dumps(
        {"to": [["Berta", berta["email"]]], "subject": subject, "attachments": [{"content": "hello"}]})})
    assert sent["folder_id"] == "default0/Sent"
    port = int(cluster.endpoints()["imap-2:143"].split(":")[1])
    assert wait_for_subject("127.0.0.1", port, berta["email"], berta["password"], subject, timeout=20)
    other, berta_session = login(cluster.endpoints()["http"], berta)
    mails = raw(other, "GET", "mail", berta_session, params={"action": "all", "folder": "default0/INBOX", "columns": "600,601,607"})
    assert_conforms(mails, "/mail?action=all")
    uid = next(row[0] for row in mails["data"] if row[2] == subject)
    mail = raw(other, "GET", "mail", berta_session, params={"action": "get", "folder": "default0/INBOX", "id": uid})
    assert_conforms(mail, "/mail?action=get")
    assert mail["data"]["from"][0][1] == context["users"]["anton"]["email"]
    assert_conforms(raw(other, "GET", "mail", berta_session, params={"action": "count", "folder": "default0/INBOX"}), "/mail?action=count")
    moved = berta_session.put("mail", "update", {"folder_id": "default0/Trash"}, id=uid, folder="default0/INBOX")
    assert moved["folder_id"] == "default0/Trash"
    assert berta_session.get("mail", "count", folder="default0/Trash") >= 1


def test_multiple_answers_each_call_in_order(anton):
    require_spec()
    client, session, folders = anton
    payload = raw(client, "PUT", "multiple", session, json=[
        {"module": "folders", "action": "root", "columns": "1,300"},
        {"module": "contacts", "action": "all", "folder": "not-a-number", "columns": "1"},
        {"module": "tasks", "action": "all", "folder": str(folders["tasks"]), "columns": "1,200"},
    ])
    # OX answers /multiple with a bare array; the spec wraps that array as `data` of its response object.
    assert isinstance(payload, list) and len(payload) == 3
    assert_conforms({"data": payload}, "/multiple", "PUT")
    assert "data" in payload[0] and payload[1]["category"] == Category.USER_INPUT and "data" in payload[2]


@pytest.mark.parametrize(
    "params",
    [
        {"action": "all", "folder": "abc"},
        {"action": "get", "id": "x", "folder": "1"},
        {"action": "nonsense"},
        {"action": "new"},
    ],
)
def test_bad_parameters_get_user_input_errors_not_crashes(anton, params):
    client, session, _ = anton
    response = client.http.request("PUT" if params["action"] == "new" else "GET", "/appsuite/api/contacts",
                                   params={**params, "session": session.id})
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["category"] == Category.USER_INPUT and envelope["code"]


# -- provisioning, EAS, monitoring ---------------------------------------------------


def test_soap_provisioning_round_trip_with_zeep(context):
    provisioning, cid, admin = context["provisioning"], context["cid"], context["admin"]
    assert cid in [c.id for c in provisioning.list_contexts(context["name"])]
    assert provisioning.get_context(cid).name == context["name"]
    names = {u.name for u in provisioning.list_users(cid, admin)}
    assert {"oxadmin", "anton", "berta"} <= names
    extra = provisioning.create_user(cid, admin, "carl", "pw-carl-1", f"carl.{cid}@ox.test", "Carl")
    assert provisioning.get_user(cid, admin, extra.id).primaryEmail == f"carl.{cid}@ox.test"
    provisioning.delete_user(cid, admin, extra.id)
    assert "carl" not in {u.name for u in provisioning.list_users(cid, admin)}


def test_provisioning_refuses_wrong_credentials(base_url, context):
    wrong = Provisioning(base_url, Credentials("oxadminmaster", "wrong"))
    with pytest.raises(ProvisioningError, match="Authentication failed"):
        wrong.list_contexts()
    with pytest.raises(ProvisioningError, match="Authentication failed"):
        context["provisioning"].list_users(context["cid"], Credentials("oxadmin", "wrong"))


def test_activesync_handshake_and_unimplemented_calls(base_url):
    with httpx.Client(base_url=base_url) as http:
        options = http.request("OPTIONS", "/Microsoft-Server-ActiveSync")
        assert options.status_code == 200
        assert "14.1" in options.headers["MS-ASProtocolVersions"].split(",")
        assert "Sync" in options.headers["MS-ASProtocolCommands"].split(",")
        assert options.cookies["JSESSIONID"].rsplit(".", 1)[-1] in {"OX2", "OX3"}  # the sync pool's members
        assert http.post("/Microsoft-Server-ActiveSync", params={"Cmd": "Sync"}).status_code == 501


def test_metrics_count_requests_by_module(ci_small, anton):
    cluster, _ = ci_small
    client, session, folders = anton
    session.get("contacts", "all", folder=str(folders["contacts"]), columns="1")
    node = client.route
    text = httpx.get(f"http://{cluster.endpoints()[f'ox-{node[-1]}:8009']}/metrics").text
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    assert any(s.name == "appsuite_httpapi_requests_seconds_count" and s.labels["module"] == "contacts" and s.value >= 1
               for s in samples)
    assert any(s.name == "ox_http_requests_total" and s.labels["node"] == f"ox-{node[-1]}" for s in samples)
    assert {"ox_http_request_duration_seconds_bucket", "appsuite_sessions_active_total"} <= {s.name for s in samples}



def test_a_node_given_more_than_a_core_serves_with_as_many_workers(ci_small, anton):
    """workers: auto = the CPU quota rounded up: 1.5 cores make two processes on the node's one port, which
    carry the same sessions and are counted in one scrape; lifting the quota leaves one."""
    cluster, _ = ci_small
    client, session, folders = anton
    node = f"ox-{client.route[-1]}"
    address = f"http://{cluster.endpoints()[f'{node}:8009']}"
    access = DockerAccess(cluster)

    def live() -> dict:
        return httpx.get(f"{address}/live", timeout=3).json()  # a new connection each time

    def contacts_all() -> float:
        text = httpx.get(f"{address}/metrics", timeout=5).text
        return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
                   if s.name == "appsuite_httpapi_requests_seconds_count" and s.labels["module"] == "contacts"
                   and s.labels["action"] == "all")

    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.http.cookies.jar)
    assert live()["workers"] == 1, "ci-small sets no CPU quota, so each node runs one worker"
    try:
        access.limit_cpu(node, 1.5)
        wait_for(lambda: live()["workers"] == 2, timeout=15, waiting_for=f"{node} to run 2 workers under 1.5 cores",
                 ignore=(httpx.HTTPError,))
        workers = wait_for(lambda: len(pids := {live()["worker"] for _ in range(30)}) == 2 and pids, timeout=20,
                           waiting_for=f"both workers of {node} to answer on its port", ignore=(httpx.HTTPError,))
        before = contacts_all()
        for _ in range(20):  # to the node itself, each on its own connection, so that the kernel spreads them
            response = httpx.get(f"{address}/appsuite/api/contacts", headers={"Cookie": cookies}, timeout=5,
                                 params={"action": "all", "session": session.id, "folder": str(folders["contacts"]),
                                         "columns": "1"})
            assert "error" not in response.json(), response.text[:200]
        assert contacts_all() - before == 20, f"the 20 calls counted over the workers {sorted(workers)}"
    finally:
        access.limit_cpu(node, None)
    wait_for(lambda: live()["workers"] == 1, timeout=20, waiting_for=f"{node} back to one worker",
             ignore=(httpx.HTTPError,))


# -- DAV and command-line provisioning -------------------------------------------------


EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//ox-harness//tests//EN
BEGIN:VEVENT
UID:{uid}
DTSTART:20270110T100000Z
DTEND:20270110T110000Z
SUMMARY:{summary}
END:VEVENT
END:VCALENDAR
"""
VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Dora Dav\r\nN:Dav;Dora;;;\r\nEMAIL:dora@example.test\r\nEND:VCARD\r\n"


def test_caldav_client_discovers_creates_and_reads_events(base_url, context, anton):
    import caldav

    user = context["users"]["anton"]
    dav = caldav.DAVClient(url=f"{base_url}/servlet/dav/", username=user["login"], password=user["password"])
    calendars = dav.principal().calendars()
    assert [c.get_display_name() for c in calendars] == ["Calendar"]
    uid = f"{secrets.token_hex(6)}@tests"
    calendars[0].save_event(EVENT.format(uid=uid, summary="Failover drill"))
    assert "Failover drill" in [str(e.icalendar_component.get("summary")) for e in calendars[0].events()]
    # The same event through the HTTP API: one calendar, two protocols.
    _, session, folders = anton
    events = session.get("chronos", "all", folder=str(folders["calendar"]), rangeStart="20270101T000000Z",
                         rangeEnd="20270201T000000Z")
    assert uid in [event["uid"] for event in events]


def test_carddav_lists_creates_and_reads_contacts(base_url, context, anton):
    import caldav

    user = context["users"]["anton"]
    dav = caldav.DAVClient(url=f"{base_url}/servlet/dav/", username=user["login"], password=user["password"])
    _, session, folders = anton
    book = f"{base_url}/servlet/dav/carddav/{folders['contacts']}/"
    uid = secrets.token_hex(6)
    created = dav.put(f"{book}{uid}.vcf", VCARD.format(uid=uid), {"Content-Type": "text/vcard"})
    assert created.status == 201
    listing = dav.propfind(book, depth=1)
    assert f"{uid}.vcf" in listing.raw
    card = dav.request(f"{book}{uid}.vcf", "GET")
    assert "FN:Dora Dav" in card.raw
    contacts = session.get("contacts", "all", folder=str(folders["contacts"]), columns="500,555")
    assert ["Dora Dav", "dora@example.test"] in contacts


def test_dav_requires_credentials(base_url):
    assert httpx.request("PROPFIND", f"{base_url}/servlet/dav/", headers={"Depth": "0"}).status_code == 401


def test_createcontext_and_createuser_tools_on_a_node(ci_small, base_url):
    cluster, topology = ci_small
    node = cluster.node("ox-2").container
    master = cluster.state.secrets()["admin_master"]
    cid = CONTEXT_IDS[0] + secrets.randbelow(CONTEXT_IDS[1] - CONTEXT_IDS[0])
    created = node.exec_run(["createcontext", "-c", str(cid), "-N", f"cli{cid}", "-u", "oxadmin", "-d", "Admin",
                             "-p", "cli-admin-pw", "-e", f"admin.{cid}@{topology.mail_domain}",
                             "-A", "oxadminmaster", "-P", master])
    assert created.exit_code == 0, created.output.decode()
    user = node.exec_run(["createuser", "-c", str(cid), "-u", "emil", "-d", "Emil", "-p", "emil-pw",
                          "-e", f"emil.{cid}@{topology.mail_domain}", "-A", "oxadmin", "-P", "cli-admin-pw"])
    assert user.exit_code == 0, user.output.decode()
    refused = node.exec_run(["createuser", "-c", str(cid), "-u", "eve", "-p", "x", "-A", "oxadmin", "-P", "wrong"])
    assert refused.exit_code != 0 and b"Authentication failed" in refused.output
    client, session = login(base_url, {"login": f"emil@cli{cid}", "password": "emil-pw"})
    assert session.context_id == cid
    Provisioning(base_url, Credentials("oxadminmaster", master)).delete_context(cid)


def test_raw_rfc822_mail_and_flag_updates(anton, context):
    """`mail new` takes a raw RFC 822 message; flags are set and cleared with `update`."""
    _, session, _ = anton
    email_address = context["users"]["anton"]["email"]
    subject = f"raw {secrets.token_hex(3)}"
    raw_message = (f"From: {email_address}\r\nTo: {email_address}\r\nSubject: {subject}\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n\r\nraw body\r\n").encode()
    sent = session.call("PUT", "mail", "new", content=raw_message, headers={"Content-Type": "message/rfc822"})
    assert sent["folder_id"] == "default0/Sent"
    uid = wait_for(lambda: next((row[0] for row in session.get("mail", "all", folder="default0/INBOX",
                                                                 columns="600,607") if row[1] == subject), None),
                   timeout=20, interval=0.3, waiting_for="the raw message in the inbox")
    flagged = 8
    session.put("mail", "update", {"flags": flagged, "value": True}, id=uid, folder="default0/INBOX")
    assert session.get("mail", "get", id=uid, folder="default0/INBOX", unseen="true")["flags"] & flagged
    session.put("mail", "update", {"flags": flagged, "value": False}, id=uid, folder="default0/INBOX")
    assert not session.get("mail", "get", id=uid, folder="default0/INBOX", unseen="true")["flags"] & flagged
