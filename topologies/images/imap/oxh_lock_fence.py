"""Releases the mailbox locks of a dead Dovecot peer on the shared mail storage.

Dovecot locks a Maildir's `dovecot-uidlist` with a dotlock file that names its
holder as `<pid>:<hostname>`. A server that dies while it holds one leaves it
behind. Dovecot can check a holder's pid only on its own host, so every other
server waits until the lock is two minutes old: for two minutes that mailbox
cannot be read or written through any server.

This watchdog does on each Dovecot node what a cluster manager does after
fencing a failed member. It holds a connection open to each peer's IMAP
port and tries the port again whenever that connection drops: a peer whose
connection dropped and whose port then does not answer, or whose port has
not answered twice in a row, is dead, and the dotlocks that name it are
removed once they are `MIN_LOCK_AGE` seconds old (younger ones are watched
until they are). A peer killed outright is so found dead within a second,
before an IMAP client's retry gives up on the lock. A peer that answers,
or only hangs with its connections open, is never touched. Dovecot notices
an overridden lock when its holder comes back ("Our dotlock file was
overridden") and fails that one operation instead of writing over the other
server's work.

Usage: oxh_lock_fence.py ROOT (peers in OXH_IMAP_PEERS as "name=address ...")
"""

from __future__ import annotations

import argparse
import os
import re
import select
import socket
import sys
import time
from dataclasses import dataclass, field

CHECK_EVERY = 0.25
CONNECT_TIMEOUT = 0.5
DEAD_AFTER = 2  # pieces of evidence: a dropped watch connection, a port that does not answer
MIN_LOCK_AGE = 0.5
RESCAN_EVERY = 1.0  # while a peer stays dead: a walk for the locks the last one missed
IMAP_PORT = 143
LOCK_CONTENT = re.compile(r"^(\d+):(\S+)\s*$")


@dataclass
class Peer:
    name: str
    address: str
    port: int = IMAP_PORT
    misses: int = 0
    scanned_at: float = 0.0
    watch: socket.socket | None = None  # an open connection to the peer's IMAP port
    young: set[str] = field(default_factory=set)  # its locks found too young to release yet

    @property
    def dead(self) -> bool:
        return self.misses >= DEAD_AFTER

    def close(self) -> None:
        if self.watch is not None:
            self.watch.close()
            self.watch = None


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


def connect(address: str, port: int = IMAP_PORT) -> socket.socket | None:
    try:
        return socket.create_connection((address, port), timeout=CONNECT_TIMEOUT)
    except OSError:
        return None


def dropped(watch: socket.socket) -> bool:
    """Whether the peer closed the connection (whatever it sent before, a greeting, is read and dropped)."""
    try:
        readable, _, _ = select.select([watch], [], [], 0)
        if not readable:
            return False
        return watch.recv(4096, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def check(peer: Peer) -> None:
    """Count the evidence that the peer is dead, or clear it when the peer answers."""
    if peer.watch is not None and not dropped(peer.watch):
        answered = True
    else:
        if peer.watch is not None:
            peer.close()
            peer.misses += 1  # its connection dropped: a restart or a death, the port tells which
        peer.watch = connect(peer.address, peer.port)
        answered = peer.watch is not None
    if answered:
        if peer.dead:
            print(f"oxh-lock-fence: {peer.name} answers again", file=sys.stderr, flush=True)
        peer.misses, peer.scanned_at, peer.young = 0, 0.0, set()
    else:
        peer.misses += 1


def holder(path: str) -> str | None:
    """The hostname a dotlock names, or None when the file is not a dotlock or is gone."""
    try:
        with open(path, encoding="ascii", errors="replace") as lock:
            match = LOCK_CONTENT.match(lock.read(256))
    except OSError:
        return None
    return match.group(2) if match else None


def stale_locks(root: str, peer: str, now: float, paths: set[str] | None = None) -> tuple[list[str], set[str]]:
    """Dotlocks that name `peer`, under `root` (or among `paths`): those older than MIN_LOCK_AGE, and the rest."""
    found, young = [], set()
    for path in sorted(paths) if paths is not None else _lock_files(root):
        try:
            age = now - os.stat(path).st_mtime
        except OSError:
            continue
        if holder(path) != peer:
            continue
        if age >= MIN_LOCK_AGE:
            found.append(path)
        else:
            young.add(path)
    return found, young


def _lock_files(root: str):
    for directory, _, files in os.walk(root):
        yield from (os.path.join(directory, name) for name in files if name.endswith(".lock"))


def release(root: str, peer: Peer, now: float, walk: bool = True) -> None:
    """Remove the peer's stale locks: all of them found by a walk of `root`, or only the young ones it knew."""
    stale, young = stale_locks(root, peer.name, now, None if walk else peer.young)
    peer.young = young if walk else peer.young & young
    for path in stale:
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        print(f"oxh-lock-fence: {peer.name} ({peer.address}) is dead (its IMAP port does not answer); "
              f"released its lock {path}", file=sys.stderr, flush=True)


def watch(root: str, peers: list[Peer]) -> None:
    while True:
        started = time.monotonic()
        for peer in peers:
            check(peer)
            if not peer.dead:
                continue
            walk = started - peer.scanned_at >= RESCAN_EVERY
            if walk or peer.young:
                release(root, peer, time.time(), walk)
            if walk:
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
