"""Test users of a load run: provisioned over SOAP in bulk, mailboxes seeded through the MTA, removed after.

One context per run, named `oxhload<epoch>c<id>`, holds every user; it is
removed when the run ends, whether it passed, failed or was interrupted,
and a later run removes contexts of this kind that are older than the
longest run can last (one that crashed before cleaning up). Mailboxes get a
few messages of realistic sizes so that lists and reads have something to
work on; a series of runs on the same users (a capacity sweep) brings them
back to those messages before each run, since every mail a user sends lands
in its own inbox and a fuller inbox costs every listing more.
"""

from __future__ import annotations

import re
import smtplib
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Callable, Iterator

from imapclient.exceptions import IMAPClientError

from harness.clients.mail import imap_session
from harness.clients.provisioning import Provisioning, temporary_context
from harness.errors import UserError
from harness.wait import WaitTimeout, wait_for

PREFIX = "oxhload"
NAME = re.compile(rf"^{PREFIX}(\d+)c\d+$")
STALE_AFTER = 6 * 3600  # seconds: no run lasts this long, so such a context was left by one that crashed
SEED_MESSAGES = 5  # messages each test user's inbox starts with (load runs and sweeps alike)
MAX_USERS = 2000  # what one context of the reference holds comfortably; more is refused as bad input
PARALLEL = 4  # SMTP connections seeding mailboxes at once
RESTORE_PARALLEL = 8  # IMAP connections restoring mailboxes at once
SEED_SIZES = (3_000, 12_000, 45_000)  # bytes of body: a note, a mail, a long thread with quotes
Progress = Callable[[str], None]


@contextmanager
def load_users(provisioning: Provisioning, count: int, mail_domain: str, smtp: tuple[str, int] | None,
               seed_messages: int, progress: Progress,
               imap: list[tuple[str, int]] | None = None) -> Iterator[list[dict[str, str]]]:
    """`count` users in a context of their own, their inboxes seeded; the context is removed afterwards."""
    remove_stale(provisioning, progress)
    progress(f"provisioning {count} test users in a context of this run")
    started = time.monotonic()
    # The context's name is oxhload<epoch>c<id>: a later run tells from it whether this one is long over.
    with temporary_context(provisioning, f"load{int(time.time())}c", [f"load{i:04d}" for i in range(count)],
                           mail_domain) as context:
        progress(f"{count} users made in context {context.name} in {time.monotonic() - started:.1f} s")
        accounts = [{"login": user.login, "password": user.password, "email": user.email}
                    for user in context.users.values()]
        if smtp and seed_messages:
            seed(accounts, smtp, seed_messages, progress)
            if imap:
                wait_delivered(accounts, imap[0], seed_messages, progress, smtp)
        try:
            yield accounts
        finally:
            progress(f"removing context {context.name} and its {count} users")


def remove_stale(provisioning: Provisioning, progress: Progress, now: float | None = None) -> list[str]:
    """Remove load contexts left by runs that ended without cleaning up; returns their names."""
    now = now or time.time()
    removed = []
    for context in provisioning.list_contexts(f"{PREFIX}*"):
        match = NAME.match(str(getattr(context, "name", "")))
        if match and now - int(match.group(1)) > STALE_AFTER:
            progress(f"removing context {context.name}, left by a load run that did not clean up")
            provisioning.delete_context(int(context.id))
            removed.append(str(context.name))
    return removed


def seed(accounts: list[dict[str, str]], smtp: tuple[str, int], per_user: int, progress: Progress) -> None:
    """Deliver `per_user` messages of realistic sizes to each user through the MTA."""
    progress(f"seeding {per_user} messages into each of {len(accounts)} mailboxes through the MTA")
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda account: _deliver(account, smtp, range(per_user)), accounts))


def _deliver(account: dict[str, str], smtp: tuple[str, int], indexes: range) -> None:
    with smtplib.SMTP(*smtp, timeout=30) as connection:
        for index in indexes:
            message = EmailMessage()
            message["From"], message["To"] = f"seed@{account['email'].split('@')[1]}", account["email"]
            message["Subject"] = f"seeded message {index + 1}"
            message.set_content(("Lorem ipsum dolor sit amet. " * 2000)[: SEED_SIZES[index % len(SEED_SIZES)]])
            connection.send_message(message)


DELIVERY_WITHIN = 120.0  # seconds the MTA may take to deliver every seeded message


def wait_delivered(accounts: list[dict[str, str]], imap: tuple[str, int], per_user: int, progress: Progress,
                   smtp: tuple[str, int] | None = None) -> None:
    """Wait until every seeded message is in its mailbox, so that the measured run does not start while the
    MTA is still delivering (mailboxes being written while the first users read them). A mailbox still short
    after DELIVERY_WITHIN gets what it lacks sent once more through `smtp` (a store that lost a delivery, as
    Dovecot on the FUSE NFS mount did once), and is waited for again; short after that, it is a UserError."""
    started = time.monotonic()
    short = _undelivered(accounts, imap, per_user)
    if short and smtp:
        progress(f"{len(short)} of {len(accounts)} mailboxes lack seeded messages after {DELIVERY_WITHIN:.0f} s "
                 f"(first: {next(iter(short))} has {next(iter(short.values()))} of {per_user}); sending what they "
                 f"lack once more")
        by_email = {account["email"]: account for account in accounts}
        for email, found in short.items():
            _deliver(by_email[email], smtp, range(found, per_user))
        short = _undelivered([by_email[email] for email in short], imap, per_user)
    if short:
        raise UserError(f"{len(short)} of {len(accounts)} mailboxes lack their seeded messages after "
                        f"{time.monotonic() - started:.0f} s", "check the MTA and the IMAP servers (the functional "
                        "suite's MAIL-SMTP and MAIL-IMAP requirements)")
    progress(f"seeded messages delivered after {time.monotonic() - started:.1f} s")


def _undelivered(accounts: list[dict[str, str]], imap: tuple[str, int], per_user: int) -> dict[str, int]:
    """The mailboxes that hold fewer than `per_user` messages after DELIVERY_WITHIN, with what they hold."""
    short = {account["email"]: 0 for account in accounts}
    by_email = {account["email"]: account for account in accounts}

    def delivered() -> bool:
        for email in list(short):
            account = by_email[email]
            with imap_session(*imap, email, account["password"]) as session:
                found = session.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"]
            if found >= per_user:
                del short[email]
            else:
                short[email] = found
        return not short

    try:
        wait_for(delivered, timeout=DELIVERY_WITHIN, interval=1.0, waiting_for="the seeded messages delivered",
                 ignore=(OSError, IMAPClientError))
    except WaitTimeout:
        pass
    return short


def restore_mailboxes(accounts: list[dict[str, str]], imap: tuple[str, int], seeded: int,
                      progress: Progress) -> int:
    """Each user's INBOX back to its `seeded` first messages, over IMAP as the user; returns the messages
    removed. Sent copies are left: the load never lists them. A mailbox that cannot be restored is a UserError
    ("N of M")."""

    def restore(account: dict[str, str]) -> int | str:
        try:
            with imap_session(*imap, account["email"], account["password"]) as session:
                if session.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"] <= seeded:
                    return 0
                session.select_folder("INBOX")
                extra = sorted(session.search("ALL"))[seeded:]
                if extra:
                    session.delete_messages(extra)
                    session.expunge()
                return len(extra)
        except (OSError, IMAPClientError) as exc:
            return f"{account['login']}: {exc}"

    started = time.monotonic()
    with ThreadPoolExecutor(RESTORE_PARALLEL) as pool:
        found = list(pool.map(restore, accounts))
    failed = [outcome for outcome in found if isinstance(outcome, str)]
    if failed:
        raise UserError(f"{len(failed)} of {len(accounts)} test mailboxes could not be brought back to their "
                        f"seeded messages (first: {failed[0]})", "check the IMAP servers (the functional suite's "
                        "MAIL-IMAP requirement), then run again")
    removed = sum(outcome for outcome in found if isinstance(outcome, int))
    progress(f"{len(accounts)} mailboxes back to their {seeded} seeded messages ({removed} sent since removed) in "
             f"{time.monotonic() - started:.1f} s")
    return removed
