"""Dev-only integration smoke of the reference middleware against real backends on this host.

Not collected by pytest (no test_ prefix). Run it by hand against a running
node (see reference/README.md, "Development"):

    python tests/reference/dev/smoke.py http://127.0.0.1:18009

It needs zeep, caldav, imapclient and requests in the interpreter, the master
admin password in OX_MASTER_PASSWORD and, for the mail checks, an IMAP
server that authenticates the users the middleware creates (IMAP_HOST,
IMAP_PORT). Every step prints one line; the first failure stops the run.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import sys
import time
import uuid
from datetime import datetime, timedelta

import caldav
import requests
import zeep
from imapclient import IMAPClient
from PIL import Image

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18009").rstrip("/")
API = f"{BASE}/appsuite/api"
NS = "http://soap.admin.openexchange.com"
MASTER = {"login": os.environ.get("OX_MASTER_ADMIN", "oxadminmaster"), "password": os.environ["OX_MASTER_PASSWORD"]}
STEPS = 0


def step(name: str) -> None:
    global STEPS
    STEPS += 1
    print(f"ok {STEPS:2d} {name}", flush=True)


def data(response: requests.Response):
    assert response.status_code == 200, (response.status_code, response.text[:300])
    payload = response.json()
    assert "error" not in payload, payload
    return payload["data"] if "data" in payload else payload


def soap(service: str):
    client = zeep.Client(f"{BASE}/webservices/{service}?wsdl")
    return client.create_service(f"{{{NS}}}{service}Soap11Binding", f"{BASE}/webservices/{service}")


def main() -> None:
    health = requests.get(f"{BASE}/health", timeout=5)
    assert health.json()["status"] == "UP", health.text
    assert health.cookies.get("JSESSIONID", "").count(".") == 1
    step(f"health UP, JSESSIONID {health.cookies['JSESSIONID']}")

    cid = 1000 + secrets.randbelow(800_000)
    name = f"smoke{cid}"
    admin = {"login": "oxadmin", "password": secrets.token_urlsafe(8)}
    contexts, users = soap("OXContextService"), soap("OXUserService")
    created = contexts.create(ctx={"id": cid, "name": name, "loginMappings": [name]},
                              admin_user={"name": admin["login"], "password": admin["password"], "display_name": "Admin"},
                              auth=MASTER)
    assert created.id == cid and name in created.loginMappings
    assert any(c.id == cid for c in contexts.list(search_pattern="smoke*", auth=MASTER))
    assert contexts.getData(ctx={"id": cid}, auth=MASTER).name == name
    step(f"SOAP context {cid} created, listed, read")

    people = {}
    for person in ("anton", "berta"):
        password = secrets.token_urlsafe(8)
        mail = f"{person}.{cid}@ox.test"
        user = users.create(ctx={"id": cid}, usrdata={"name": person, "password": password, "primaryEmail": mail,
                                                      "email1": mail, "display_name": person.title()}, auth=admin)
        people[person] = {"id": user.id, "login": f"{person}@{name}", "password": password, "email": mail}
    assert {u.name for u in users.list(ctx={"id": cid}, search_pattern="*", auth=admin)} >= {"anton", "berta", "oxadmin"}
    assert users.getData(ctx={"id": cid}, user={"id": people["anton"]["id"]}, auth=admin).primaryEmail == people["anton"]["email"]
    step("SOAP users created, listed, read")

    http = requests.Session()
    http.headers["User-Agent"] = "oxref-smoke/1"
    bad = http.post(f"{API}/login", params={"action": "login"}, data={"name": people["anton"]["login"], "password": "x"})
    assert bad.json()["code"] == "LGI-0006" and bad.json()["category"] == 1
    login = http.post(f"{API}/login", params={"action": "login"},
                      data={"name": people["anton"]["login"], "password": people["anton"]["password"],
                            "client": "smoke"}).json()
    assert {"session", "user", "user_id", "context_id", "locale"} <= set(login), login
    session = login["session"]
    assert any(c.startswith("open-xchange-secret-") for c in http.cookies.keys())
    assert http.cookies.get("JSESSIONID", "").endswith(".OX1") or "JSESSIONID" in http.cookies
    step(f"login {people['anton']['login']} -> user {login['user_id']} in context {login['context_id']}")

    def get(module: str, **params):
        return data(http.get(f"{API}/{module}", params={"session": session, **params}, timeout=10))

    def put(module: str, body, **params):
        return data(http.put(f"{API}/{module}", params={"session": session, **params}, json=body, timeout=10))

    config = get("config")
    assert config["context_id"] == cid
    assert get("config/language") == "en_US"
    stranger = requests.get(f"{API}/config/language", params={"session": session}).json()
    assert stranger["code"] == "SES-0206", stranger
    assert requests.get(f"{API}/config", params={"session": "nope"}).json()["code"] == "SES-0203"
    assert requests.get(f"{API}/config").json()["code"] == "SES-0201"
    step("config tree and path; SES-0201/0203/0206")

    folders = config["folder"]
    roots = get("folders", action="root", columns="1,300,301")
    assert roots and all(len(row) == 3 for row in roots)
    visible = get("folders", action="allVisible", content_type="contacts", columns="1,300")
    assert any(row[0] == str(folders["contacts"]) for row in visible["private"])
    assert get("folders", action="get", id=str(folders["calendar"]))["module"] == "event"
    assert get("folders", action="list", parent="1", columns="1,300")
    step("folders root, list, allVisible, get")

    contact = put("contacts", {"folder_id": str(folders["contacts"]), "display_name": "Carl Contact",
                               "first_name": "Carl", "last_name": "Contact", "email1": "carl@example.org"},
                  action="new")
    rows = get("contacts", action="all", folder=str(folders["contacts"]), columns="1,20,500,555")
    assert [contact["id"], str(folders["contacts"]), "Carl Contact", "carl@example.org"] in rows, rows
    full = get("contacts", action="get", id=contact["id"], folder=str(folders["contacts"]))
    put("contacts", {"display_name": "Carl Changed"}, action="update", id=contact["id"],
        folder=str(folders["contacts"]), timestamp=str(full["last_modified"]))
    listed = put("contacts", [{"id": contact["id"], "folder": str(folders["contacts"])}], action="list", columns="1,500")
    assert listed == [[contact["id"], "Carl Changed"]], listed
    step("contacts new, all, get, update, list")

    start = datetime.utcnow().replace(microsecond=0) + timedelta(days=1)
    event = put("chronos", {"summary": "Smoke meeting", "startDate": {"value": start.strftime("%Y%m%dT%H%M%S"), "tzid": "Europe/Berlin"},
                            "endDate": {"value": (start + timedelta(hours=1)).strftime("%Y%m%dT%H%M%S"), "tzid": "Europe/Berlin"}},
                action="new", folder=str(folders["calendar"]))["created"][0]
    events = get("chronos", action="all", folder=str(folders["calendar"]),
                 rangeStart=(start - timedelta(days=2)).strftime("%Y%m%dT%H%M%SZ"),
                 rangeEnd=(start + timedelta(days=2)).strftime("%Y%m%dT%H%M%SZ"))
    assert any(e["id"] == event["id"] for e in events)
    assert get("chronos", action="get", id=event["id"], folder=str(folders["calendar"]))["summary"] == "Smoke meeting"
    step("chronos new, all, get")

    task = put("tasks", {"folder_id": str(folders["tasks"]), "title": "Smoke task"}, action="new")
    assert [task["id"], "Smoke task"] in get("tasks", action="all", folder=str(folders["tasks"]), columns="1,200")
    put("tasks", [{"id": task["id"], "folder": str(folders["tasks"])}], action="delete", timestamp=str(2**53))
    assert get("tasks", action="all", folder=str(folders["tasks"]), columns="1") == []
    step("tasks new, all, delete")

    picture = io.BytesIO()
    Image.new("RGB", (640, 480), "teal").save(picture, format="PNG")
    upload = http.post(f"{API}/files", params={"action": "new", "session": session},
                       files={"file": ("smoke.png", picture.getvalue(), "image/png")},
                       data={"json": json.dumps({"folder_id": str(folders["infostore"]), "title": "Smoke picture"})})
    assert "callback_new" in upload.text, upload.text[:300]
    document_id = json.loads(upload.text.split("(", 2)[2].rsplit(")", 1)[0])["data"]
    blob = http.get(f"{API}/files", params={"action": "document", "session": session, "id": document_id,
                                            "folder": str(folders["infostore"])})
    assert blob.content == picture.getvalue()
    thumb = http.get(f"{API}/files", params={"action": "document", "session": session, "id": document_id,
                                             "folder": str(folders["infostore"]), "format": "thumbnail_image",
                                             "width": "160", "height": "120"})
    assert thumb.headers["Content-Type"] == "image/jpeg" and Image.open(io.BytesIO(thumb.content)).size[0] <= 160
    assert [document_id, "Smoke picture"] in get("infostore", action="all", folder=str(folders["infostore"]), columns="1,700")
    assert get("infostore", action="get", id=document_id)["file_size"] == len(picture.getvalue())
    stores = os.environ.get("FILESTORE_PATH")
    if stores:
        assert any(True for _ in __import__("pathlib").Path(stores, f"{cid}_ctx_store").rglob("*") if _.is_file())
    step("infostore upload, download, thumbnail, all, get")

    answers = requests.put(f"{API}/multiple", params={"session": session}, cookies=http.cookies,
                           json=[{"module": "config", "action": "get", "path": "language"},
                                 {"module": "folders", "action": "root", "columns": "1"},
                                 {"module": "tasks", "action": "all", "folder": str(folders["tasks"]), "columns": "1"}]).json()
    assert len(answers) == 3 and all("data" in a for a in answers[1:]), answers
    step("multiple")

    mail = http.post(f"{API}/mail", params={"action": "new", "session": session},
                     data={"json_0": json.dumps({"from": [["Anton", people["anton"]["email"]]],
                                                 "to": [["Berta", people["berta"]["email"]]], "subject": "Smoke mail",
                                                 "attachments": [{"content_type": "text/plain", "content": "Hello Berta"}]})})
    assert "callback_new" in mail.text and '"error"' not in mail.text, mail.text[:300]
    raw = ("From: anton <%s>\r\nTo: %s\r\nSubject: Raw smoke\r\n\r\nRaw body\r\n" %
           (people["anton"]["email"], people["berta"]["email"])).encode()
    data(http.put(f"{API}/mail", params={"action": "new", "session": session}, data=raw,
                  headers={"Content-Type": "message/rfc822"}))
    sent = get("mail", action="all", folder="default0/Sent", columns="600,607")
    assert {"Smoke mail", "Raw smoke"} <= {row[1] for row in sent}, sent
    step("mail new (form and raw RFC 822), Sent copy")

    with IMAPClient(os.environ.get("IMAP_HOST", "127.0.0.1"), port=int(os.environ.get("IMAP_PORT", "10143")), ssl=False) as imap:
        imap.login(people["berta"]["email"], people["berta"]["password"])
        for _ in range(50):
            imap.select_folder("INBOX")
            subjects = {m[b"ENVELOPE"].subject.decode() for m in imap.fetch(imap.search("ALL"), ["ENVELOPE"]).values()}
            if {"Smoke mail", "Raw smoke"} <= subjects:
                break
            time.sleep(0.1)
        assert {"Smoke mail", "Raw smoke"} <= subjects, subjects
    step("berta sees both mails over IMAP")

    berta = requests.Session()
    login_b = berta.post(f"{API}/login", params={"action": "login"},
                         data={"name": people["berta"]["login"], "password": people["berta"]["password"]}).json()
    sb = login_b["session"]
    inbox = data(berta.get(f"{API}/mail", params={"action": "all", "session": sb, "folder": "default0/INBOX",
                                                    "columns": "600,607,611"}))
    uid = next(row[0] for row in inbox if row[1] == "Smoke mail")
    assert data(berta.get(f"{API}/mail", params={"action": "count", "session": sb, "folder": "default0/INBOX"})) >= 2
    message = data(berta.get(f"{API}/mail", params={"action": "get", "session": sb, "folder": "default0/INBOX", "id": uid}))
    assert "Hello Berta" in json.dumps(message["attachments"])
    data(berta.put(f"{API}/mail", params={"action": "update", "session": sb, "folder": "default0/INBOX", "id": uid},
                   json={"flags": 8, "value": True}))
    moved = data(berta.put(f"{API}/mail", params={"action": "update", "session": sb, "folder": "default0/INBOX", "id": uid},
                           json={"folder_id": "default0/Trash"}))
    assert moved["folder_id"] == "default0/Trash"
    data(berta.put(f"{API}/mail", params={"action": "delete", "session": sb},
                   json=[{"id": moved["id"], "folder": "default0/Trash"}]))
    assert uid not in [row[0] for row in data(berta.get(
        f"{API}/mail", params={"action": "all", "session": sb, "folder": "default0/INBOX", "columns": "600"}))]
    step("mail all, count, get, flag, move, delete as berta")

    dav = caldav.DAVClient(f"{BASE}/servlet/dav/", username=people["anton"]["login"], password=people["anton"]["password"])
    calendars = dav.principal().calendars()
    assert calendars, "no calendar found"
    uid_ev = str(uuid.uuid4())
    calendars[0].save_event(
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//smoke//EN\r\nBEGIN:VEVENT\r\nUID:{uid_ev}\r\n"
        f"DTSTAMP:20250101T000000Z\r\nDTSTART:20300101T100000Z\r\nDTEND:20300101T110000Z\r\nSUMMARY:DAV event\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n")
    summaries = [e.vobject_instance.vevent.summary.value for e in calendars[0].events()]
    assert "DAV event" in summaries and "Smoke meeting" in summaries, summaries
    step("CalDAV discover, create, list (caldav library)")

    books = requests.request("PROPFIND", f"{BASE}/servlet/dav/carddav/", headers={"Depth": "1"},
                             auth=(people["anton"]["login"], people["anton"]["password"]))
    assert books.status_code == 207 and "addressbook" in books.text
    vcf = requests.put(f"{BASE}/servlet/dav/carddav/{folders['contacts']}/smoke-card.vcf",
                       data="BEGIN:VCARD\r\nVERSION:3.0\r\nUID:smoke-card\r\nFN:Dora DAV\r\nN:DAV;Dora;;;\r\nEND:VCARD\r\n",
                       auth=(people["anton"]["login"], people["anton"]["password"]),
                       headers={"Content-Type": "text/vcard"})
    assert vcf.status_code in (201, 204), vcf.text
    assert "Dora DAV" in [row[1] for row in get("contacts", action="all", folder=str(folders["contacts"]), columns="1,500")]
    step("CardDAV PROPFIND, PUT; contact visible over the API")

    eas = requests.options(f"{BASE}/Microsoft-Server-ActiveSync")
    assert "MS-ASProtocolVersions" in eas.headers and "MS-ASProtocolCommands" in eas.headers
    assert requests.post(f"{BASE}/Microsoft-Server-ActiveSync").status_code == 501
    assert requests.get(f"{BASE}/usm-json").status_code == 501
    step("EAS OPTIONS headers, 501 otherwise")

    metrics = requests.get(f"{BASE}/metrics").text
    assert "ox_http_requests_total" in metrics and "ox_sessions_active" in metrics
    step("metrics")

    data(http.get(f"{API}/login", params={"action": "store", "session": session}))
    again = data(http.get(f"{API}/login", params={"action": "autologin", "client": "smoke"}))
    assert again["session"] == session
    logout = http.get(f"{API}/login", params={"action": "logout", "session": session})
    assert logout.status_code == 200
    assert requests.get(f"{API}/config", params={"session": session}).json()["code"] == "SES-0203"
    step("store, autologin, logout")

    users.delete(ctx={"id": cid}, user={"id": people["berta"]["id"]}, auth=admin)
    contexts.delete(ctx={"id": cid}, auth=MASTER)
    assert not any(c.id == cid for c in contexts.list(search_pattern=name, auth=MASTER) or [])
    step("SOAP user and context deleted")
    print(f"all {STEPS} steps passed")


if __name__ == "__main__":
    main()
