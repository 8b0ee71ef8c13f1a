"""Dev-only: validate a running node's responses against the OX OpenAPI spec, module by module.

Run with the project's venv (it uses harness.checks.conformance):

    .venv/bin/python tests/reference/dev/conformance_sweep.py http://127.0.0.1:18009

Needs OX_MASTER_PASSWORD; provisions a context over SOAP and removes it at the end.
Prints one line per call: OK, or the schema violations.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import httpx  # noqa: E402

from harness.checks import conformance  # noqa: E402
from harness.clients.provisioning import Credentials, Provisioning  # noqa: E402

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18009").rstrip("/")
API = f"{BASE}/appsuite/api"
failures = 0


def check(label: str, payload, path_key: str, method: str = "GET") -> None:
    global failures
    problems = conformance.violations(payload, path_key, method)
    if problems:
        failures += 1
        print(f"FAIL {label} ({method} {path_key}):")
        for problem in problems[:8]:
            print(f"     {problem}")
    else:
        print(f"ok   {label}")


def main() -> None:
    provisioning = Provisioning(BASE, Credentials(os.environ.get("OX_MASTER_ADMIN", "oxadminmaster"),
                                                  os.environ["OX_MASTER_PASSWORD"]))
    cid = 300_000 + secrets.randbelow(100_000)
    admin = Credentials("oxadmin", secrets.token_urlsafe(8))
    provisioning.create_context(cid, f"conf{cid}", admin)
    try:
        sweep(cid, admin)
    finally:
        provisioning.delete_context(cid)
    print(f"{failures} call(s) depart from the spec")
    sys.exit(1 if failures else 0)


def sweep(cid: int, admin: Credentials) -> None:
    http = httpx.Client(base_url=API, headers={"User-Agent": "conformance-sweep"}, timeout=10)
    login = http.post("/login", params={"action": "login"}, data={"name": f"oxadmin@conf{cid}", "password": admin.password}).json()
    check("login", login, "/login?action=login", "POST")
    session = login["session"]

    def get(module, **params):
        return http.get(f"/{module}", params={"session": session, **params}).json()

    def put(module, body, **params):
        return http.put(f"/{module}", params={"session": session, **params}, json=body).json()

    config = get("config")
    check("config", config, "/config/{path}")
    check("config/language", get("config/language"), "/config/{path}")
    folders = config["data"]["folder"]
    check("folders root", get("folders", action="root", columns="1,300,301,302,304"), "/folders?action=root")
    check("folders list", get("folders", action="list", parent="1", columns="1,300,301"), "/folders?action=list")
    check("folders allVisible", get("folders", action="allVisible", content_type="contacts", columns="1,300"),
          "/folders?action=allVisible")
    check("folders get", get("folders", action="get", id=str(folders["contacts"])), "/folders?action=get")

    new_contact = put("contacts", {"folder_id": str(folders["contacts"]), "display_name": "Conf", "email1": "c@x.test"},
                      action="new")
    check("contacts new", new_contact, "/contacts?action=new", "PUT")
    contact_id = new_contact["data"]["id"]
    check("contacts all", get("contacts", action="all", folder=str(folders["contacts"]), columns="1,20,500,555"),
          "/contacts?action=all")
    got = get("contacts", action="get", id=contact_id, folder=str(folders["contacts"]))
    check("contacts get", got, "/contacts?action=get")
    check("contacts list", put("contacts", [{"id": contact_id, "folder": str(folders["contacts"])}], action="list",
                               columns="1,500"), "/contacts?action=list", "PUT")
    check("contacts update", put("contacts", {"display_name": "Conf 2"}, action="update", id=contact_id,
                                 folder=str(folders["contacts"]), timestamp=str(got["timestamp"])),
          "/contacts?action=update", "PUT")
    check("contacts delete", put("contacts", [{"id": contact_id, "folder": str(folders["contacts"])}], action="delete",
                                 timestamp=str(2**53)), "/contacts?action=delete", "PUT")

    task = put("tasks", {"folder_id": str(folders["tasks"]), "title": "Conf task"}, action="new")
    check("tasks new", task, "/tasks?action=new", "PUT")
    check("tasks all", get("tasks", action="all", folder=str(folders["tasks"]), columns="1,20,200"), "/tasks?action=all")
    check("tasks get", get("tasks", action="get", id=task["data"]["id"], folder=str(folders["tasks"])), "/tasks?action=get")
    check("tasks delete", put("tasks", [{"id": task["data"]["id"], "folder": str(folders["tasks"])}], action="delete",
                              timestamp=str(2**53)), "/tasks?action=delete", "PUT")

    event = put("chronos", {"summary": "Conf", "startDate": {"value": "20300101T100000", "tzid": "Europe/Berlin"},
                            "endDate": {"value": "20300101T110000", "tzid": "Europe/Berlin"}},
                action="new", folder=str(folders["calendar"]))
    check("chronos new", event, "/chronos?action=new", "PUT")
    event_id = event["data"]["created"][0]["id"]
    check("chronos all", get("chronos", action="all", folder=str(folders["calendar"]), rangeStart="20291201T000000Z",
                             rangeEnd="20300201T000000Z"), "/chronos?action=all")
    check("chronos get", get("chronos", action="get", id=event_id, folder=str(folders["calendar"])), "/chronos?action=get")
    check("chronos update", put("chronos", {"event": {"summary": "Conf 2"}}, action="update", id=event_id,
                                folder=str(folders["calendar"]), timestamp=str(2**53)), "/chronos?action=update", "PUT")
    check("chronos delete", put("chronos", {"events": [{"id": event_id, "folder": str(folders["calendar"])}]},
                                action="delete", timestamp=str(2**53)), "/chronos?action=delete", "PUT")

    upload = http.post("/infostore", params={"action": "new", "session": session},
                       files={"file": ("conf.txt", io.BytesIO(b"hello"), "text/plain")},
                       data={"json": json.dumps({"folder_id": str(folders["infostore"])})})
    document = json.loads(upload.text.split("(", 2)[2].rsplit(")", 1)[0])
    check("infostore new (JSON in the upload callback)", document, "/infostore?action=new", "PUT")
    doc_id = document["data"]
    check("infostore all", get("infostore", action="all", folder=str(folders["infostore"]), columns="1,700,702,704"),
          "/infostore?action=all")
    check("infostore get", get("infostore", action="get", id=doc_id, folder=str(folders["infostore"])), "/infostore?action=get")
    check("infostore delete", put("infostore", [{"id": doc_id, "folder": str(folders["infostore"])}], action="delete",
                                  timestamp=str(2**53)), "/infostore?action=delete", "PUT")

    check("mail all", get("mail", action="all", folder="default0/INBOX", columns="600,601,607,610,611"), "/mail?action=all")
    check("mail count", get("mail", action="count", folder="default0/INBOX"), "/mail?action=count")
    sent = http.post("/mail", params={"action": "new", "session": session},
                     data={"json_0": json.dumps({"to": [["", f"oxadmin.c{cid}@ox.test"]], "subject": "conf",
                                                 "attachments": [{"content": "hi"}]})})
    mail = json.loads(sent.text.split("(", 2)[2].rsplit(")", 1)[0])
    check("mail new (JSON in the form callback)", mail, "/mail?action=new", "PUT")
    check("mail get", get("mail", action="get", folder="default0/Sent", id=mail["data"]["id"]), "/mail?action=get")

    multiple = http.put("/multiple", params={"session": session},
                        json=[{"module": "folders", "action": "root", "columns": "1"}]).json()
    # OX answers /multiple with a bare array; the spec wraps that array as `data` of its response object.
    check("multiple", {"data": multiple}, "/multiple", "PUT")
    error = http.get("/config", params={"session": "nope"}).json()
    check("error envelope (config, SES-0203)", error, "/config/{path}")
    logout = http.get("/login", params={"action": "logout", "session": session})
    print(f"ok   logout -> HTTP {logout.status_code}")


if __name__ == "__main__":
    main()
