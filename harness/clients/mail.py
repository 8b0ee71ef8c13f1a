"""IMAP (imapclient) and SMTP (smtplib) as a user or an operator uses them."""

from __future__ import annotations

import email.message
import smtplib
import time
from contextlib import contextmanager
from typing import Iterator

from imapclient import IMAPClient

TIMEOUT = 10


@contextmanager
def imap_session(host: str, port: int, user: str, password: str) -> Iterator[IMAPClient]:
    """A logged-in IMAP connection (plain IMAP on port 143, as the reference topology offers)."""
    with IMAPClient(host, port=port, ssl=False, timeout=TIMEOUT) as imap:
        imap.login(user, password)
        yield imap


def capabilities(host: str, port: int) -> set[bytes]:
    with IMAPClient(host, port=port, ssl=False, timeout=TIMEOUT) as imap:
        return set(imap.capabilities())


def inbox_subjects(host: str, port: int, user: str, password: str) -> list[str]:
    with imap_session(host, port, user, password) as imap:
        imap.select_folder("INBOX", readonly=True)
        fetched = imap.fetch(imap.search("ALL"), ["ENVELOPE"])
        return [data[b"ENVELOPE"].subject.decode(errors="replace") for data in fetched.values()]


def wait_for_subject(host: str, port: int, user: str, password: str, subject: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subject in inbox_subjects(host, port, user, password):
            return True
        time.sleep(0.5)
    return False


def submit(host: str, port: int, sender: str, recipient: str, subject: str, body: str) -> None:
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, subject
    message.set_content(body)
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
        smtp.send_message(message)
