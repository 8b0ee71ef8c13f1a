"""Every test user signs in once before measured load, so that no measured step pays for a first sign-in.

A mailbox's first listing builds Dovecot's index and cache files (on the NFS
filestore) and a user's first sign-in fills the middleware's caches: a run
that starts cold measures both in its first steps. In one sweep the first run
of its first point carried 11 req/s where its repeat, on warm mailboxes,
carried 19. `warm_up` signs each user in, lists its inbox as App Suite's
mail view does, and signs out, through the balancer as the load's users do,
a few users at a time.

IMAP clients straight to Dovecot reach every Dovecot node, where the
middleware reaches the first it can: `warm_up_imap` signs each user in on
each node as itself (not as the middleware's master user) and reads its
inbox as the load's IMAP clients do. Without it, the first run of the mail
tier's first point carried 38 and 40 ops/s in two sweeps where its repeat
carried 68 and 62.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import httpx
from imapclient.exceptions import IMAPClientError

from harness.clients.mail import imap_session
from harness.clients.ox_errors import OXError, OXServerUnavailable
from harness.clients.ox_http import OXClient
from harness.errors import UserError

INBOX = "default0/INBOX"
# The UI's mail list: App Suite's columns (sorted newest first, the first 50)
MAIL_COLUMNS = "102,600,601,602,603,604,605,606,607,608,610,611,614,652"
PARALLEL = 8
TIMEOUT = 30.0
Progress = Callable[[str], None]


def warm_up(accounts: list[dict[str, str]], http_url: str, verify: bool | str, progress: Progress) -> None:
    """Sign every account in once, list its inbox, sign it out; a user that cannot is a UserError."""

    def visit(account: dict[str, str]) -> str | None:
        try:
            with OXClient(http_url, verify=verify, timeout=TIMEOUT) as client:  # App Suite's client id
                session = client.login(account["login"], account["password"])
                session.get("mail", "all", folder=INBOX, columns=MAIL_COLUMNS, sort="610", order="desc",
                            limit="0,50")
                session.logout()
        except (OXError, OXServerUnavailable, httpx.HTTPError) as exc:
            return f"{account['login']}: {exc}"
        return None

    started = time.monotonic()
    with ThreadPoolExecutor(PARALLEL) as pool:
        failed = [error for error in pool.map(visit, accounts) if error]
    if failed:
        raise UserError(f"{len(failed)} of {len(accounts)} test users could not sign in and list their inbox "
                        f"before the load (first: {failed[0]})",
                        "check sign-in and the mail module (the functional suite), then run again")
    progress(f"{len(accounts)} test users signed in once and listed their inbox (warm caches and mailbox "
             f"indexes) in {time.monotonic() - started:.1f} s")


def warm_up_imap(accounts: list[dict[str, str]], servers: list[tuple[str, int]], progress: Progress) -> None:
    """Sign every account in on every IMAP server in `servers` as itself, select its inbox, fetch its envelopes
    and ask its status, sign it out; one that cannot is a UserError ("N of M")."""

    def visit(account: dict[str, str], server: tuple[str, int]) -> str | None:
        try:
            with imap_session(*server, account["email"], account["password"]) as session:
                session.select_folder("INBOX", readonly=True)
                messages = session.search("ALL")
                if messages:
                    session.fetch(messages, ["UID", "FLAGS", "ENVELOPE", "RFC822.SIZE"])
                session.folder_status("INBOX", [b"MESSAGES", b"UNSEEN", b"UIDNEXT"])
        except (OSError, IMAPClientError) as exc:
            return f"{account['login']} on {server[0]}:{server[1]}: {exc}"
        return None

    started = time.monotonic()
    visits = [(account, server) for server in servers for account in accounts]
    with ThreadPoolExecutor(PARALLEL) as pool:
        failed = [error for error in pool.map(lambda pair: visit(*pair), visits) if error]
    if failed:
        raise UserError(f"{len(failed)} of {len(visits)} IMAP sign-ins of the test users failed before the mail "
                        f"tier's load (first: {failed[0]})",
                        "check the Dovecot nodes (the functional suite's MAIL-IMAP requirement), then run again")
    progress(f"{len(accounts)} test users signed in over IMAP on {len(servers)} Dovecot node(s) and read their "
             f"inbox (warm logins and indexes) in {time.monotonic() - started:.1f} s")
