"""Locust users that behave like App Suite clients; this module runs inside the Locust process only.

Each class of a load profile becomes a Locust User class: HTTP users
(FastHttpUser) sign in as the UI does (`rampup=true`, then the rampup batch
as one `multiple`), keep the session for the class's session length, and
between actions think for a time whose mean makes the profile's per-hour
rates come true (divided by the run's speed-up); at the end of a session
they sign out or abandon it. DAV/EAS users go through the sync pool with
basic auth; IMAP users speak to Dovecot directly and SMTP users submit
mail (harness.load.mail_users), and both report through Locust's request
events, so that every protocol appears in one set of stats. Every kind of
user retries a failed call once (harness.load.behaviour), and a session lost
is a failure the user saw. An OX error envelope is a failure
named by its OX code (`LGI-0006 USER_INPUT`), so errors are counted by code.

Nothing here imports the Docker SDK or threads: gevent must not meet them.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import time
from typing import Any, Callable

from locust import FastHttpUser, User

from harness.clients.ox_http import DEFAULT_CLIENT as CLIENT
from harness.load.behaviour import MESSAGE_SIZES, Accounts, Behaviour
from harness.load.mail_users import ImapBehaviour, SmtpBehaviour
from harness.load.load_plan import LoadPlan
from harness.load.profile import RETRY_SUFFIX, UserClass
from harness.load.warm_up import INBOX, MAIL_COLUMNS

API = "/appsuite/api"
RAMPUP = [{"module": "jslob", "action": "list", "data": ["io.ox/core", "io.ox/mail", "io.ox/files"]},
          {"module": "user", "action": "get"}, {"module": "account", "action": "all"}]
CATEGORY_NAMES = {1: "USER_INPUT", 2: "CONFIGURATION", 3: "PERMISSION_DENIED", 4: "TRY_AGAIN", 5: "SERVICE_DOWN",
                  6: "CONNECTIVITY", 8: "ERROR", 9: "CONFLICT", 11: "CAPACITY", 12: "TRUNCATED", 13: "WARNING"}
PROPFIND_BODY = ('<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:displayname/>'
                 '<d:getetag/></d:prop></d:propfind>')
REPORT_BODY = ('<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1'
               '</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>')


def ox_error(payload: Any) -> str | None:
    """`CODE CATEGORY` of an OX error envelope, or None."""
    if isinstance(payload, dict) and "error" in payload and "code" in payload:
        category = payload.get("category")
        return f"{payload['code']} {CATEGORY_NAMES.get(category, category)}"
    return None


def think_time(user_class: UserClass, speedup: float) -> Callable[[Any], float]:
    """Locust wait_time whose mean gives the class's actions per hour, compressed by the speed-up."""
    mean = 3600.0 / user_class.actions_per_hour / speedup
    distribution = user_class.think_time.distribution

    def wait(_user: Any) -> float:
        if distribution == "constant":
            return mean
        if distribution == "uniform":
            return random.uniform(0, 2 * mean)
        return random.expovariate(1 / mean)

    return wait


class SessionLost(Exception):
    """A user thrown out of a session that should have survived: a failure the user sees."""


class OXHttpBehaviour(Behaviour):
    """An App Suite UI user over the HTTP API."""

    session_id: str = ""
    folders: dict[str, str] = {}
    mail_ids: list[str] = []
    file_ids: list[tuple[str, str]] = []

    def call(self, method: str, module: str, name: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """One API call as the UI makes it: a failed one is tried once more, as `<name> retry`, so that the
        stats tell failures a user saw (those of the retries) from those a retry hid."""
        ok, data = self.request(method, module, name, params, **kwargs)
        if ok:
            return data
        if self.session_ends:
            ok, data = self.request(method, module, name + RETRY_SUFFIX, params, **kwargs)
        elif name != "login":
            # The session was lost: the user is sent back to the login page, which no retry hides.
            self.fire("HTTP", name + RETRY_SUFFIX, time.perf_counter(), 0, SessionLost(f"{name}: the session was lost"))
        return data

    def request(self, method: str, module: str, name: str, params: dict[str, Any] | None,
                **kwargs: Any) -> tuple[bool, Any]:
        query = dict(params or {})
        if self.session_id and name != "login":
            query["session"] = self.session_id
        with self.client.request(method, f"{API}/{module}", params=query, name=name, catch_response=True,
                                 **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return False, None
            text = response.text or ""
            if not text.strip():
                return True, None  # logout and a few others answer with an empty body
            match = re.search(r"\(\s*(\{.*\})\s*\)\s*</script>", text, re.S) if "<script" in text else None
            try:
                payload = json.loads(match.group(1) if match else text) if text[:1] in ("{", "[") or match else text
            except ValueError:
                response.failure("not JSON")
                return False, None
            error = ox_error(payload)
            if error:
                response.failure(error)
                if error.startswith("SES-"):
                    self.session_ends = 0  # the session is gone: sign in again at the next step
                return False, None
            return True, payload.get("data") if isinstance(payload, dict) and "data" in payload else payload

    def sign_in(self) -> None:
        self.session_id = ""
        data = self.call("POST", "login", "login", params={"action": "login"}, data={
            "name": self.account["login"], "password": self.account["password"], "client": CLIENT, "rampup": "true"})
        if not data:
            self.session_ends = 0
            return
        self.session_id = data["session"]
        self.call("PUT", "multiple", "rampup", params={"continue": "true"}, data=json.dumps(RAMPUP),
                  headers={"Content-Type": "application/json"})
        folders = self.call("GET", "config/folder", "config")
        self.folders = {key: str(value) for key, value in (folders or {}).items() if not isinstance(value, dict)}
        self.mail_ids, self.file_ids = [], []

    def sign_out(self) -> None:
        if self.session_id:
            self.call("GET", "login", "logout", params={"action": "logout"})
            self.session_id = ""

    def do_mail_all(self) -> None:
        rows = self.call("GET", "mail", "mail.all", params={
            "action": "all", "folder": INBOX, "columns": MAIL_COLUMNS, "sort": "610", "order": "desc", "limit": "0,50"})
        if isinstance(rows, list):
            self.mail_ids = [str(row[1]) for row in rows if isinstance(row, list) and len(row) > 1]

    def do_mail_get(self) -> None:
        if not self.mail_ids:
            return self.do_mail_all()
        self.call("GET", "mail", "mail.get", params={"action": "get", "folder": INBOX, "id": random.choice(self.mail_ids)})

    def do_mail_send(self) -> None:
        body = {"from": self.account["email"], "to": [[self.account["login"], self.account["email"]]],
                "subject": f"load {secrets.token_hex(4)}", "content_type": "text/plain",
                "attachments": [{"content_type": "text/plain", "content": "x" * random.choice(MESSAGE_SIZES)}]}
        self.call("POST", "mail", "mail.send", params={"action": "new"}, data={"json_0": json.dumps(body)})

    def do_folders_list(self) -> None:
        self.call("GET", "folders", "folders.list", params={"action": "allVisible", "content_type": "mail",
                                                            "columns": "1,300,301"})

    def do_refresh(self) -> None:
        batch = [{"module": "mail", "action": "all", "folder": INBOX, "columns": MAIL_COLUMNS, "sort": "610",
                  "order": "desc", "limit": "0,50"}, {"module": "folders", "action": "get", "id": INBOX}]
        self.call("PUT", "multiple", "refresh", params={"continue": "true"}, data=json.dumps(batch),
                  headers={"Content-Type": "application/json"})

    def do_chronos_all(self) -> None:
        now = time.gmtime()
        start = time.strftime("%Y%m%dT000000Z", now)
        end = time.strftime("%Y%m%dT000000Z", time.gmtime(time.time() + 7 * 86400))
        self.call("PUT", "chronos", "chronos.all", params={
            "action": "all", "folder": self.folders.get("calendar", ""), "rangeStart": start, "rangeEnd": end},
            data=json.dumps({"folders": [self.folders.get("calendar", "")]}), headers={"Content-Type": "application/json"})

    def do_contacts_all(self) -> None:
        self.call("GET", "contacts", "contacts.all", params={
            "action": "all", "folder": self.folders.get("contacts", ""), "columns": "1,20,500,501,502,555"})

    def do_tasks_all(self) -> None:
        self.call("GET", "tasks", "tasks.all", params={
            "action": "all", "folder": self.folders.get("tasks", ""), "columns": "1,20,200"})

    def do_infostore_upload(self) -> None:
        folder = self.folders.get("infostore", "")
        content = secrets.token_bytes(random.choice((20_000, 100_000, 400_000)))
        data = self.call("POST", "infostore", "infostore.upload", params={"action": "new"},
                         data={"json": json.dumps({"folder_id": folder})},
                         files={"file": ("load.bin", content, "application/octet-stream")})
        if isinstance(data, (str, int)):
            self.file_ids.append((str(data), folder))

    def do_infostore_download(self) -> None:
        if not self.file_ids:
            return self.do_infostore_upload()
        ident, folder = random.choice(self.file_ids)
        self.call("GET", "infostore", "infostore.download", params={"action": "document", "id": ident, "folder": folder})


class DavBehaviour(Behaviour):
    """A CalDAV/CardDAV client polling its collections, and a phone's EAS handshake, through the sync pool."""

    def sign_in(self) -> None:
        self.auth = (self.account["login"], self.account["password"])
        self.collection = ""

    def dav(self, method: str, path: str, name: str, expected: int, **kwargs: Any) -> Any:
        """One DAV or EAS request, retried once as a client does; the last response's text, or None."""
        answer: list[str | None] = [None]

        def attempt(label: str) -> bool:
            with self.client.request(method, path, name=label, auth=self.auth, catch_response=True,
                                     **kwargs) as response:
                if response.status_code != expected:
                    response.failure(f"HTTP {response.status_code}")
                    return False
                answer[0] = response.text or ""
                return True

        self.twice(attempt, name)
        return answer[0]

    def do_dav_propfind(self) -> None:
        text = self.dav("PROPFIND", "/servlet/dav/caldav/", "dav.propfind", 207, data=PROPFIND_BODY,
                        headers={"Depth": "1", "Content-Type": "application/xml"})
        found = re.findall(r"<(?:\w+:)?href>(/servlet/dav/caldav/\d+/)</(?:\w+:)?href>", text or "")
        self.collection = found[0] if found else ""

    def do_dav_report(self) -> None:
        if not self.collection:
            return self.do_dav_propfind()
        self.dav("REPORT", self.collection, "dav.report", 207, data=REPORT_BODY,
                 headers={"Depth": "1", "Content-Type": "application/xml"})

    def do_eas_options(self) -> None:
        self.dav("OPTIONS", "/Microsoft-Server-ActiveSync", "eas.options", 200)


BEHAVIOURS: dict[str, tuple[type, type]] = {
    "http": (OXHttpBehaviour, FastHttpUser),
    "dav": (DavBehaviour, FastHttpUser),
    "imap": (ImapBehaviour, User),
    "smtp": (SmtpBehaviour, User),
}


def user_classes(plan: LoadPlan) -> dict[str, type]:
    """One Locust User class per class of the plan's profile, with its weight and think time."""
    accounts = Accounts(plan.accounts)
    made: dict[str, type] = {}
    for spec in plan.profile.classes:
        behaviour, base = BEHAVIOURS[spec.protocol]

        def on_start(self) -> None:
            self.start_session()

        def run(self) -> None:
            self.step()

        made[spec.name] = type(f"{spec.name.title().replace('-', '')}User", (behaviour, base), {
            "plan": plan, "spec": spec, "accounts": accounts, "weight": spec.weight,
            "wait_time": think_time(spec, plan.speedup), "host": plan.http_url,
            "on_start": on_start, "tasks": [run], "abstract": False,
            "insecure": not plan.verify_tls, "network_timeout": 30.0, "connection_timeout": 10.0,
        })
    return made
