"""IMAP (imapclient) and SMTP (smtplib) as a user or an operator uses them."""

from __future__ import annotations

import email.message
import re
import smtplib
from contextlib import contextmanager
from typing import Iterator

from imapclient import IMAPClient

from harness.wait import last_value

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
    found = last_value(lambda: subject in inbox_subjects(host, port, user, password), bool, timeout=timeout)
    return bool(found)


def append_message(imap: IMAPClient, subject: str, message_id: str, folder: str = "INBOX") -> int:
    """Deliver a message into `folder` over IMAP (APPEND); its UID, as the server's APPENDUID says."""
    message = email.message.EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "qa@ox-harness.invalid", subject, message_id
    message.set_content("delivered by ox-harness to check the shared mail storage")
    answer = imap.append(folder, message.as_bytes())
    code = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    found = re.search(r"APPENDUID \d+ (\d+)", code)
    if not found:
        raise RuntimeError(f"the IMAP server did not report the appended message's UID (UIDPLUS): {code}")
    return int(found.group(1))


def uids_of(imap: IMAPClient, message_id: str, folder: str = "INBOX") -> tuple[int, list[int]]:
    """(UIDVALIDITY of the folder, UIDs of the messages with this Message-ID)."""
    selected = imap.select_folder(folder)
    return int(selected[b"UIDVALIDITY"]), sorted(imap.search(["HEADER", "Message-ID", message_id]))


def relay_answer(host: str, port: int, sender: str, recipient: str) -> tuple[int, str]:
    """The SMTP server's answer to RCPT TO `recipient` from this client, unauthenticated: (code, text). The
    session ends with QUIT before DATA, so nothing is ever sent."""
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
        smtp.ehlo("relay-check.ox-harness.invalid")
        code, text = smtp.mail(sender)
        if code >= 400:
            return code, text.decode(errors="replace")
        code, text = smtp.rcpt(recipient)
        smtp.rset()
        return code, text.decode(errors="replace")


def submit(host: str, port: int, sender: str, recipient: str, subject: str, body: str) -> None:
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, subject
    message.set_content(body)
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
        smtp.send_message(message)
