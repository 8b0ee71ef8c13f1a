"""Simulated users working while faults are injected, every operation recorded.

A probe calls the API every 100 ms. Each user creates contacts (writes
whose values are unique and checked later), reads them, uploads files of
unique content (each acknowledged one is downloaded after the heal and
compared byte for byte), sends mail to itself (whose subjects are checked in
the inbox later) and lists and opens its inbox. Like a browser, a user
retries a failed call once. Where a scenario asks for sync clients, each
account also has a calendar app that puts events over CalDAV through the
sync pool (`harness.load.sync_users`). Every operation is fired as an
event (`workload.events.operation`) with its start, end, outcome (ok, fail,
or unknown when the answer never came, so the write may or may not have
happened) and the node that served it; the history that checkers judge is
one listener of it. All users may be pinned to one node's route, so that a
fault on that node hits every measured session.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass

import httpx

from harness.checks.history import History, Operation
from harness.load.events import WorkloadEvents
from harness.load.sync_users import SyncUser
from harness.wait import WaitTimeout, last_value, wait_for
from harness.clients.ox_errors import OXError, OXServerUnavailable
from harness.clients.dav import DavError
from harness.clients.ox_http import OXClient, OXSession

PROBE_INTERVAL = 0.1
USER_PAUSE = 0.2
CALL_TIMEOUT = 8.0
EVERY_FIFTH = 5
DELIVERY_SECONDS = 30.0
INBOX = "default0/INBOX"


@dataclass(frozen=True)
class Upload:
    """An acknowledged upload: where it went and the digest of what was sent."""

    user: str
    folder: str
    id: str
    sha256: str


@dataclass(frozen=True)
class Account:
    login: str
    password: str
    email: str = ""  # without one, the user sends no mail


class User:
    """One simulated user with its own client and session."""

    def __init__(self, name: str, account: Account, base_url: str, verify: bool | str, events: WorkloadEvents,
                 route: str | None = None):
        self.name = name
        self.account = account
        self.client = OXClient(base_url, verify=verify, timeout=CALL_TIMEOUT)
        self.events = events
        self.route = route
        self.session: OXSession | None = None
        self.contacts_folder: str | None = None
        self.files_folder: str | None = None

    def call(self, kind: str, action, value: str | None = None, retries: int = 1):
        """Run `action(session)`, retried once on a failure, recorded as one operation."""
        start = time.monotonic()
        outcome, detail, result = "fail", "", None
        session_lost = False
        for attempt in range(retries + 1):
            try:
                if self.session is None:
                    self.login()
                result = action(self.session)
                outcome, detail = "ok", ""
                break
            except OXError as exc:
                outcome, detail = "fail", exc.code
                if exc.session_expired:
                    # The user is sent back to the login page: visible even if the retry then works.
                    session_lost = True
                    self.session = None
            except (OXServerUnavailable, httpx.HTTPError) as exc:
                # No answer, or the balancer's: a write may have happened.
                outcome, detail = "unknown", type(exc).__name__
            except Exception as exc:  # an answer that is not the API's (HTML, truncated JSON): still recorded
                outcome, detail = "unknown", f"{type(exc).__name__}: {exc}"[:200]
            if attempt < retries:
                time.sleep(0.1)
        if session_lost:
            detail = "SES-0203" + (f" then {detail}" if detail and detail != "SES-0203" else "")
        operation = Operation(kind, self.name, start, time.monotonic(), outcome, self.client.route, value, detail)
        self.events.operation.fire(operation=operation)
        return result

    def login(self) -> None:
        if self.route and self.client.route != self.route:
            self.client.pin_route(self.route)
        self.session = self.client.login(self.account.login, self.account.password)
        if self.contacts_folder is None:
            self.contacts_folder = str(self.session.get("config/folder/contacts"))
            self.files_folder = str(self.session.get("config/folder/infostore"))

    def close(self) -> None:
        self.client.close()


class Workload:
    def __init__(self, base_url: str, accounts: list[Account], verify: bool | str = True, upload: bool = True,
                 route: str | None = None, sync: bool = False, sync_route: str | None = None,
                 sync_read_route: str | None = None):
        """`route`: sign every user and the probe in on the node with this JSESSIONID route. `sync`: a calendar
        app per account too, pinned to `sync_route`, whose events are read back through `sync_read_route`."""
        self.events = WorkloadEvents()
        self.history = History()
        self.events.operation.add_listener(self.history.record)
        self.base_url, self.verify, self.upload = base_url, verify, upload
        self.users = [User(f"user{i}", account, base_url, verify, self.events, route)
                      for i, account in enumerate(accounts)]
        self.probe = User("probe", accounts[0], base_url, verify, self.events, route)
        self.sync_users = [SyncUser(f"sync{i}", account.login, account.password, base_url, verify, self.events,
                                    sync_route) for i, account in enumerate(accounts)] if sync else []
        self.sync_read_route = sync_read_route
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.counter = itertools.count()
        self.tag = secrets.token_hex(3)  # values of this run only; older ones may sit in the same folders
        self.uploads: dict[str, Upload] = {}  # file name -> the acknowledged upload

    def __enter__(self) -> "Workload":
        for user in self.users + [self.probe]:
            user.login()
        for sync in self.sync_users:
            sync.start()
        self.threads = [threading.Thread(target=self._probe_loop, daemon=True)]
        self.threads += [threading.Thread(target=self._user_loop, args=(user,), daemon=True) for user in self.users]
        self.threads += [threading.Thread(target=self._sync_loop, args=(sync,), daemon=True)
                         for sync in self.sync_users]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=CALL_TIMEOUT * 3)

    def _probe_loop(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            self.probe.call("probe", lambda s: s.get("config/identifier"), retries=0)
            time.sleep(max(0.0, PROBE_INTERVAL - (time.monotonic() - started)))

    def _user_loop(self, user: User) -> None:
        while not self.stopping.is_set():
            value = f"oxh-{self.tag}-{user.name}-{next(self.counter)}"
            user.call("write", lambda s: s.put("contacts", "new", {"folder_id": user.contacts_folder, "display_name": value}),
                      value=value)
            user.call("read", lambda s: s.get("contacts", "all", folder=user.contacts_folder, columns="1,500"))
            turn = next(self.counter)
            if self.upload and turn % EVERY_FIFTH == 0:
                self._upload(user, f"oxh-{self.tag}-{user.name}-{turn}.bin")
            if user.account.email and turn % EVERY_FIFTH == 2:
                user.call("mailread", _read_newest_mail)
            if user.account.email and turn % EVERY_FIFTH == 1:
                subject = f"oxh-{self.tag}-{user.name}-{turn}"
                mail = {"to": [[user.name, user.account.email]], "subject": subject,
                        "attachments": [{"content": "written while a fault is injected"}]}
                user.call("mail", lambda s: s.call("POST", "mail", "new", data={"json_0": json.dumps(mail)}), value=subject)
            time.sleep(USER_PAUSE)

    def _sync_loop(self, sync: SyncUser) -> None:
        while not self.stopping.is_set():
            sync.put_event(f"oxh-{self.tag}-{sync.name}-{next(self.counter)}")
            sync.list_calendar()
            time.sleep(USER_PAUSE)

    def _upload(self, user: User, name: str) -> None:
        content = secrets.token_bytes(2048)
        folder = user.files_folder
        new_id = user.call("upload", lambda s: s.call(
            "POST", "infostore", "new", files={"file": (name, content)},
            data={"json": json.dumps({"folder_id": folder})}), value=name)
        if new_id is not None:
            self.uploads[name] = Upload(user.name, str(folder), str(new_id), hashlib.sha256(content).hexdigest())

    def final_uploads(self, timeout: float = 60.0) -> dict[str, set[str]]:
        """Per user, the acknowledged uploads that download after the fault with the bytes that were sent; one
        missing or changed is left out (a lost upload). A user's downloads share one session, retried until
        the cluster answers."""
        intact: dict[str, set[str]] = {}
        for user in self.users:
            mine = {name: upload for name, upload in self.uploads.items() if upload.user == user.name}

            def download_all(s: OXSession, wanted: dict[str, Upload] = mine) -> set[str]:
                found = set()
                for name, upload in wanted.items():
                    try:
                        content = s.get("infostore", "document", id=upload.id, folder=upload.folder)
                    except OXError:
                        continue  # the document is not there: an answer, not a reason to retry
                    if isinstance(content, bytes) and hashlib.sha256(content).hexdigest() == upload.sha256:
                        found.add(name)
                return found

            intact[user.name] = self._read_finally(user, download_all, timeout) if mine else set()
        return intact

    def final_values(self, timeout: float = 60.0) -> dict[str, set[str]]:
        """Every user's contact names as read at the end (retrying until the cluster answers)."""
        return {user.name: {row[1] for row in self._read_finally(
            user, lambda s, u=user: s.get("contacts", "all", folder=u.contacts_folder, columns="1,500"), timeout)}
            for user in self.users}

    def final_sync_events(self, timeout: float = 60.0) -> dict[str, set[str]]:
        """Every calendar app's event UIDs, listed after the fault through the read route, retried until the
        sync pool answers."""
        return {sync.name: wait_for(lambda s=sync: [s.final_events(self.sync_read_route)], timeout=timeout,
                                    interval=1.0, waiting_for=f"{sync.name}'s calendar after the fault",
                                    ignore=(httpx.HTTPError, DavError))[0]
                for sync in self.sync_users}

    def final_mail(self, timeout: float = 60.0) -> dict[str, set[str]]:
        """Every user's inbox subjects, once the mail each user sent has arrived or delivery time is up."""
        subjects: dict[str, set[str]] = {}
        for user in self.users:
            if not user.account.email:
                continue
            sent = {op.value for op in self.history.of("mail") if op.user == user.name and op.outcome == "ok"}

            def inbox(reader: User = user) -> set[str]:
                rows = self._read_finally(reader, lambda s: s.get("mail", "all", folder=INBOX, columns="600,607"),
                                          timeout)
                return {row[1] for row in rows}

            subjects[user.name] = last_value(inbox, lambda found, want=sent: want <= found,
                                             timeout=DELIVERY_SECONDS, interval=1.0)
        return subjects

    @staticmethod
    def _read_finally(user: User, read, timeout: float):
        """A read after the fault, in a fresh session, retried until the cluster answers."""

        def attempt() -> list:
            user.session = None
            user.login()
            return [read(user.session)]

        try:
            return wait_for(attempt, timeout=timeout, interval=1.0, waiting_for=f"{user.name}'s read after the fault",
                            ignore=(OXError, OXServerUnavailable, httpx.HTTPError))[0]
        except WaitTimeout as exc:
            raise exc.last if isinstance(exc.last, Exception) else exc

    def close(self) -> None:
        for user in self.users + [self.probe]:
            user.close()
        for sync in self.sync_users:
            sync.close()


def _read_newest_mail(session: OXSession) -> None:
    """List the inbox and open its newest message, as a user checking mail does."""
    rows = session.get("mail", "all", folder=INBOX, columns="600,610", sort="610", order="desc")
    if rows:
        session.get("mail", "get", folder=INBOX, id=rows[0][0])
