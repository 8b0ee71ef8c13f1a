"""The HTTP API per module: mail, contacts, calendar, tasks, files, batch calls, bad input."""

from __future__ import annotations

import json
import secrets

import pytest

from harness.clients.ox_errors import Category, OXError
from harness.wait import wait_for


def folders_of(client, session) -> dict:
    return client.http.get("/appsuite/api/config/folder", params={"session": session.id}).json()["data"]


def wait_for_mail(session, subject: str, folder: str = "default0/INBOX", timeout: float = 30) -> str:
    """The id of the mail with this subject, once it is in the folder."""
    return wait_for(lambda: next((uid for uid, found in session.get("mail", "all", folder=folder, columns="600,607")
                                  if found == subject), None), timeout=timeout, waiting_for=f"mail {subject!r} in {folder}")


@pytest.mark.requirement("MAIL-FLOW")
def test_mail_send_arrive_read_move_delete(login, test_context):
    """Mail sent by alice arrives for bob, is read, moved to the trash and deleted."""
    _, alice = login("alice")
    _, bob = login("bob")
    subject = f"qualification {secrets.token_hex(4)}"
    body = {"to": [["Bob", test_context.users["bob"].email]], "subject": subject, "attachments": [{"content": "hello bob"}]}
    sent = alice.call("POST", "mail", "new", data={"json_0": json.dumps(body)})
    assert sent["folder_id"].endswith("Sent")
    uid = wait_for_mail(bob, subject)
    mail = bob.get("mail", "get", folder="default0/INBOX", id=uid)
    assert mail["from"][0][1] == test_context.users["alice"].email
    assert "hello bob" in mail["attachments"][0]["content"]
    moved = bob.put("mail", "update", {"folder_id": "default0/Trash"}, id=uid, folder="default0/INBOX")
    assert moved["folder_id"] == "default0/Trash"
    assert bob.put("mail", "delete", [{"id": moved["id"], "folder": "default0/Trash"}]) == []
    remaining = [found for _, found in bob.get("mail", "all", folder="default0/Trash", columns="600,607")]
    assert subject not in remaining


@pytest.mark.requirement("PIM-CRUD")
def test_contacts_create_read_update_delete(login):
    """A contact is created, read, updated and deleted."""
    client, session = login("alice")
    folder = str(folders_of(client, session)["contacts"])
    created = session.put("contacts", "new", {"folder_id": folder, "display_name": "Carla", "email1": "carla@example.test"})
    got = session.get("contacts", "get", id=created["id"], folder=folder)
    assert got["display_name"] == "Carla"
    session.put("contacts", "update", {"display_name": "Carla B"}, id=created["id"], folder=folder, timestamp=got["last_modified"])
    assert session.get("contacts", "get", id=created["id"], folder=folder)["display_name"] == "Carla B"
    session.put("contacts", "delete", [{"id": created["id"], "folder": folder}], timestamp=2**62)
    assert created["id"] not in [row[0] for row in session.get("contacts", "all", folder=folder, columns="1")]


@pytest.mark.requirement("PIM-CRUD")
def test_calendar_event_create_read_update_delete(login):
    """An event is created, found in its range, updated and deleted."""
    client, session = login("alice")
    folder = str(folders_of(client, session)["calendar"])
    event = {"summary": "Go-live", "startDate": {"value": "20270301T090000", "tzid": "Europe/Berlin"},
             "endDate": {"value": "20270301T100000", "tzid": "Europe/Berlin"}}
    created = session.call("PUT", "chronos", "new", params={"folder": folder}, json=event)["created"][0]
    in_range = session.get("chronos", "all", folder=folder, rangeStart="20270301T000000Z", rangeEnd="20270302T000000Z")
    assert [e["summary"] for e in in_range] == ["Go-live"]
    session.call("PUT", "chronos", "update", params={"folder": folder, "id": created["id"], "timestamp": 2**62},
                 json={"event": {"summary": "Go-live (moved)"}})
    assert session.get("chronos", "get", id=created["id"], folder=folder)["summary"] == "Go-live (moved)"
    session.call("PUT", "chronos", "delete", params={"timestamp": 2**62}, json=[{"id": created["id"], "folder": folder}])
    with pytest.raises(OXError):
        session.get("chronos", "get", id=created["id"], folder=folder)


@pytest.mark.requirement("PIM-CRUD")
def test_tasks_create_read_update_delete(login):
    """A task is created, read, completed and deleted."""
    client, session = login("bob")
    folder = str(folders_of(client, session)["tasks"])
    created = session.put("tasks", "new", {"folder_id": folder, "title": "Sign off"})
    session.put("tasks", "update", {"status": 3, "percent_completed": 100}, id=created["id"], folder=folder, timestamp=2**62)
    task = session.get("tasks", "get", id=created["id"], folder=folder)
    assert task["title"] == "Sign off" and task["percent_completed"] == 100
    session.put("tasks", "delete", [{"id": created["id"], "folder": folder}], timestamp=2**62)
    assert created["id"] not in [row[0] for row in session.get("tasks", "all", folder=folder, columns="1")]


@pytest.mark.requirement("FILES")
def test_file_uploaded_on_one_node_downloads_through_another(login, ox, groupware_routes):
    """A file uploaded through one node downloads byte-identical through every other node."""
    client, session = login("alice", route=groupware_routes[0])
    folder = str(folders_of(client, session)["infostore"])
    content = secrets.token_bytes(200_000)
    ident = session.call("POST", "infostore", "new", files={"file": ("evidence.bin", content, "application/octet-stream")},
                         data={"json": json.dumps({"folder_id": folder})})
    cookies = {c.name: c.value for c in client.http.cookies.jar if c.name != "JSESSIONID"}
    for route in groupware_routes:
        other = ox(route)
        other.http.cookies.update(cookies)
        download = other.http.get("/appsuite/api/files", params={"action": "document", "session": session.id,
                                                                  "id": ident, "folder": folder})
        assert download.content == content, f"download through {route} differs"
    session.put("infostore", "delete", [{"id": ident, "folder": folder}], timestamp=2**62)


@pytest.mark.requirement("API-BATCH")
def test_batch_calls_answer_each_call_in_order(login):
    """`multiple` answers every call of the batch, errors included, in order: each answer is judged by its content,
    so two answers swapped fail as surely as a missing one."""
    client, session = login("bob")
    calls = [
        {"module": "folders", "action": "get", "id": "default0/INBOX"},
        {"module": "contacts", "action": "all", "folder": "no-such-folder-2", "columns": "1"},
        {"module": "folders", "action": "get", "id": "default0/Trash"},
        {"module": "folders", "action": "allVisible", "content_type": "tasks", "columns": "1,300"},
    ]
    answers = client.http.put("/appsuite/api/multiple", params={"session": session.id}, json=calls).json()
    assert isinstance(answers, list) and len(answers) == len(calls), f"{len(calls)} calls, answers: {answers!r:.300}"
    expected = [
        ("the INBOX folder", lambda a: (a.get("data") or {}).get("id") == "default0/INBOX"),
        ("a USER_INPUT error naming no-such-folder-2",
         lambda a: a.get("category") == Category.USER_INPUT and "no-such-folder-2" in str(a.get("error_params"))),
        ("the Trash folder", lambda a: (a.get("data") or {}).get("id") == "default0/Trash"),
        ("the visible task folders", lambda a: isinstance(a.get("data"), dict) and "private" in a["data"]),
    ]
    wrong = [f"answer {index + 1} should be {what}, is {answers[index]!r:.200}"
             for index, (what, ok) in enumerate(expected) if not isinstance(answers[index], dict) or not ok(answers[index])]
    assert not wrong, "\n".join(wrong)


@pytest.mark.requirement("API-ERRORS")
@pytest.mark.parametrize("module, params", [
    ("contacts", {"action": "all", "folder": "abc"}),
    ("contacts", {"action": "get", "id": "not-a-number", "folder": "1"}),
    ("mail", {"action": "get", "folder": "default0/INBOX", "id": "x"}),
    ("tasks", {"action": "no-such-action"}),
])
def test_bad_input_gets_user_input_errors(login, module, params):
    """Bad parameters get the OX error envelope with category USER_INPUT, over HTTP 200."""
    client, session = login("alice")
    response = client.http.get(f"/appsuite/api/{module}", params={**params, "session": session.id})
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["category"] == Category.USER_INPUT and envelope["code"] and envelope["error"]
