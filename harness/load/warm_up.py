"""Every test user signs in once before measured load, so that no measured step pays for a first sign-in.

A mailbox's first listing builds Dovecot's index and cache files (on the NFS
filestore) and a user's first sign-in fills the middleware's caches: a run
that starts cold measures both in its first steps. In one sweep the first run
of its first point carried 11 req/s where its repeat, on warm mailboxes,
carried 19. The warm-up signs each user in, lists its inbox as App Suite's
mail view does, and signs out, through the balancer as the load's users do,
a few users at a time.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import httpx

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
