"""Mail clients under load: a desktop client on Dovecot over IMAP, and a client submitting over SMTP. Each retries a
failed command once, reconnecting as a mail client does, and reports through Locust's request events. Runs
inside the Locust process only."""

from __future__ import annotations

import imaplib
import random
import secrets
import smtplib
import time
from email.message import EmailMessage
from typing import Callable

from harness.load.behaviour import MESSAGE_SIZES, Behaviour


class ImapBehaviour(Behaviour):
    """A desktop mail client on Dovecot: login, SELECT, FETCH of the newest envelopes, STATUS polling."""

    imap: imaplib.IMAP4 | None = None

    def sign_in(self) -> None:
        host, port = random.choice(self.plan.imap)
        started = time.perf_counter()
        try:
            self.imap = imaplib.IMAP4(host, port, timeout=10)
            self.imap.login(self.account["email"], self.account["password"])
            self.fire("IMAP", "imap.login", started, 0, None)
        except Exception as exc:  # noqa: BLE001 - every failure is a failed request in the stats
            self.imap = None
            self.session_ends = 0
            self.fire("IMAP", "imap.login", started, 0, exc)

    def sign_out(self) -> None:
        if self.imap is not None:
            try:
                self.imap.logout()
            except Exception:  # noqa: BLE001 - a logout that fails ends the session all the same
                pass
            self.imap = None

    def imap_call(self, name: str, command: Callable[[imaplib.IMAP4], tuple[str, list]]) -> None:
        """One IMAP command; when it fails, the client connects again (to any IMAP server) and retries once."""
        if self.imap is None:
            return self.sign_in()

        def attempt(label: str) -> bool:
            if self.imap is None:
                self.sign_in()
                if self.imap is None:
                    self.fire("IMAP", label, time.perf_counter(), 0, ConnectionError("no IMAP server took the login"))
                    return False
            started = time.perf_counter()
            try:
                status, data = command(self.imap)
                if status != "OK":
                    raise imaplib.IMAP4.error(f"{name}: {status} {data!r}"[:120])
                self.fire("IMAP", label, started, sum(len(part) for part in data if isinstance(part, bytes)), None)
                return True
            except Exception as exc:  # noqa: BLE001 - every failure is a failed request in the stats
                self.fire("IMAP", label, started, 0, exc)
                self.sign_out()
                return False

        self.twice(attempt, name)
        if self.imap is None:
            self.session_ends = 0

    def do_imap_select(self) -> None:
        self.imap_call("imap.select", lambda imap: imap.select("INBOX", readonly=True))

    def do_imap_fetch(self) -> None:
        def fetch(imap: imaplib.IMAP4) -> tuple[str, list]:
            status, data = imap.select("INBOX", readonly=True)
            count = int(data[0] or 0) if status == "OK" else 0
            if not count:
                return status, data
            return imap.fetch(f"{max(1, count - 9)}:{count}", "(UID FLAGS ENVELOPE RFC822.SIZE)")

        self.imap_call("imap.fetch", fetch)

    def do_imap_status(self) -> None:
        self.imap_call("imap.status", lambda imap: imap.status("INBOX", "(MESSAGES UNSEEN UIDNEXT)"))


class SmtpBehaviour(Behaviour):
    """A mail client submitting mail over SMTP."""

    def do_smtp_send(self) -> None:
        host, port = self.plan.smtp
        message = EmailMessage()
        message["From"], message["To"] = self.account["email"], self.account["email"]
        message["Subject"] = f"load smtp {secrets.token_hex(4)}"
        message.set_content("x" * random.choice(MESSAGE_SIZES))
        def attempt(label: str) -> bool:
            started = time.perf_counter()
            try:
                with smtplib.SMTP(host, port, timeout=10) as smtp:
                    smtp.send_message(message)
                self.fire("SMTP", label, started, len(message.as_bytes()), None)
                return True
            except Exception as exc:  # noqa: BLE001 - every failure is a failed request in the stats
                self.fire("SMTP", label, started, 0, exc)
                return False

        self.twice(attempt, "smtp.send")
