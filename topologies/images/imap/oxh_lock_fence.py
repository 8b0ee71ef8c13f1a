"""Releases the mailbox locks of a dead Dovecot peer on the shared mail storage.

Dovecot locks a Maildir's `dovecot-uidlist` with a dotlock file that names its
holder as `<pid>:<hostname>`. A server that dies while it holds one leaves it
behind. Dovecot can check a holder's pid only on its own host, so every other
server waits until the lock is two minutes old: for two minutes that mailbox
cannot be read or written through any server.

This watchdog does on each Dovecot node what a cluster manager does after
fencing a failed member. It checks its peers' IMAP ports; a peer that has not
answered for `DEAD_AFTER` checks in a row is dead, and the dotlocks that name
it and are older than `MIN_LOCK_AGE` seconds are removed. A lock is held for
milliseconds, so a lock that old whose holder does not answer is stale. A
peer that answers again is never touched. Dovecot notices an overridden lock
when its holder comes back ("Our dotlock file was overridden") and fails that
one operation instead of writing over the other server's work.

Usage: oxh_lock_fence.py ROOT (peers in OXH_IMAP_PEERS as "name=address ...")
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import time
from dataclasses import dataclass

CHECK_EVERY = 0.5
CONNECT_TIMEOUT = 0.5
DEAD_AFTER = 2
MIN_LOCK_AGE = 1.0
RESCAN_EVERY = 1.0  # while a peer stays dead: locks too young at the last walk
IMAP_PORT = 143
LOCK_CONTENT = re.compile(r"^(\d+):(\S+)\s*$")


@dataclass
class Peer:
    name: str
    address: str
    misses: int = 0
    scanned_at: float = 0.0

    @property
    def dead(self) -> bool:
        return self.misses >= DEAD_AFTER


def parse_peers(text: str, own_name: str) -> list[Peer]:
    """`name=address` pairs separated by spaces or commas; this node itself left out."""
    peers = []
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        name, sep, address = item.partition("=")
        if not sep or not name or not address:
            raise ValueError(f"OXH_IMAP_PEERS: {item!r} is not name=address")
        if name != own_name:
            peers.append(Peer(name, address))
    return peers


def answers(address: str, port: int = IMAP_PORT) -> bool:
    try:
        with socket.create_connection((address, port), timeout=CONNECT_TIMEOUT):
            return True
    except OSError:
        return False


def holder(path: str) -> str | None:
    """The hostname a dotlock names, or None when the file is not a dotlock or is gone."""
    try:
        with open(path, encoding="ascii", errors="replace") as lock:
            match = LOCK_CONTENT.match(lock.read(256))
    except OSError:
        return None
    return match.group(2) if match else None


def stale_locks(root: str, peer: str, now: float) -> list[str]:
    """Dotlocks under `root` that name `peer` and are older than MIN_LOCK_AGE."""
    found = []
    for directory, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".lock"):
                continue
            path = os.path.join(directory, name)
            try:
                age = now - os.stat(path).st_mtime
            except OSError:
                continue
            if age >= MIN_LOCK_AGE and holder(path) == peer:
                found.append(path)
    return found


def release(root: str, peer: Peer, now: float) -> None:
    for path in stale_locks(root, peer.name, now):
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        print(f"oxh-lock-fence: {peer.name} ({peer.address}) does not answer on :{IMAP_PORT}; "
              f"released its lock {path}", file=sys.stderr, flush=True)


def watch(root: str, peers: list[Peer]) -> None:
    while True:
        started = time.monotonic()
        for peer in peers:
            if answers(peer.address):
                if peer.dead:
                    print(f"oxh-lock-fence: {peer.name} answers again", file=sys.stderr, flush=True)
                peer.misses, peer.scanned_at = 0, 0.0
                continue
            peer.misses += 1
            if peer.dead and started - peer.scanned_at >= RESCAN_EVERY:
                release(root, peer, time.time())
                peer.scanned_at = started
        time.sleep(max(0.0, CHECK_EVERY - (time.monotonic() - started)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", help="the shared mail storage (e.g. /var/vmail)")
    args = parser.parse_args(argv)
    try:
        peers = parse_peers(os.environ.get("OXH_IMAP_PEERS", ""), socket.gethostname())
    except ValueError as exc:
        print(f"oxh-lock-fence: {exc}", file=sys.stderr)
        return 2
    if not peers:
        return 0  # a single Dovecot server: Dovecot checks its own locks
    watch(args.root, peers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
