"""The Dovecot lock fence: which peers it watches and which dotlocks it may release (its effect on a real
dead server is judged by the failover suite's FAILOVER-IMAP-NODE-KILLED)."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import time
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "topologies" / "images" / "imap" / "oxh_lock_fence.py"
spec = importlib.util.spec_from_file_location("oxh_lock_fence", SOURCE)
fence = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = fence  # dataclasses look their module up
spec.loader.exec_module(fence)


def test_peers_are_read_from_the_environment_without_this_node():
    peers = fence.parse_peers("imap-1=172.30.0.51 imap-2=172.30.0.52,imap-3=172.30.0.53", "imap-2")
    assert [(p.name, p.address) for p in peers] == [("imap-1", "172.30.0.51"), ("imap-3", "172.30.0.53")]
    with pytest.raises(ValueError, match="imap-1"):
        fence.parse_peers("imap-1", "imap-2")


def _lock(path: Path, content: str, age: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_only_old_dotlocks_of_the_dead_peer_are_stale(tmp_path):
    now = time.time()
    dead_old = _lock(tmp_path / "alice/Maildir/.Sent/dovecot-uidlist.lock", "4711:imap-1\n", 3)
    young = _lock(tmp_path / "bob/Maildir/dovecot-uidlist.lock", "4712:imap-1", 0.1)  # may still be in use
    _lock(tmp_path / "carol/Maildir/dovecot-uidlist.lock", "99:imap-2", 30)  # a live peer's
    _lock(tmp_path / "dave/Maildir/other.lock", "not a dotlock", 30)
    _lock(tmp_path / "erin/Maildir/dovecot-uidlist", "4711:imap-1", 30)  # not a lock file
    assert fence.stale_locks(str(tmp_path), "imap-1", now) == ([str(dead_old)], {str(young)})


def test_releasing_removes_the_stale_locks_and_watches_the_young_ones_until_they_are_old(tmp_path, capsys):
    stale = _lock(tmp_path / "alice/Maildir/dovecot-uidlist.lock", "4711:imap-1", 3)
    young = _lock(tmp_path / "bob/Maildir/dovecot-uidlist.lock", "4712:imap-1", 0.0)
    live = _lock(tmp_path / "carol/Maildir/dovecot-uidlist.lock", "4711:imap-2", 3)
    peer = fence.Peer("imap-1", "172.30.0.51", misses=fence.DEAD_AFTER)
    fence.release(str(tmp_path), peer, time.time())
    assert not stale.exists() and young.exists() and live.exists() and peer.young == {str(young)}
    assert "imap-1 (172.30.0.51) is dead" in capsys.readouterr().err
    fence.release(str(tmp_path), peer, time.time() + fence.MIN_LOCK_AGE, walk=False)  # only the young ones
    assert not young.exists() and live.exists() and not peer.young


def test_a_peer_whose_connection_drops_and_whose_port_is_closed_is_dead_at_once():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    peer = fence.Peer("imap-1", "127.0.0.1", port)
    try:
        fence.check(peer)  # the port answers: a watch connection is kept
        accepted, _ = listener.accept()
        accepted.sendall(b"* OK ready\r\n")
        fence.check(peer)  # a greeting is not a drop
        assert peer.watch is not None and peer.misses == 0 and not peer.dead
        accepted.close()
        listener.close()  # the peer is gone: its connection drops and its port refuses
        fence.check(peer)
        assert peer.dead and peer.watch is None
        again = socket.create_server(("127.0.0.1", port))  # it comes back
        fence.check(peer)
        assert not peer.dead and peer.misses == 0
        again.close()
    finally:
        peer.close()


def test_a_peer_is_dead_only_after_several_missed_checks():
    peer = fence.Peer("imap-1", "172.30.0.51")
    peer.misses = fence.DEAD_AFTER - 1
    assert not peer.dead
    peer.misses += 1
    assert peer.dead
