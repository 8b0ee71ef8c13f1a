"""The Dovecot lock fence: which peers it watches and which dotlocks it may release (its effect on a real
dead server is judged by the failover suite's FAILOVER-IMAP-NODE-KILLED)."""

from __future__ import annotations

import importlib.util
import os
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
    _lock(tmp_path / "bob/Maildir/dovecot-uidlist.lock", "4712:imap-1", 0.1)  # may still be in use
    _lock(tmp_path / "carol/Maildir/dovecot-uidlist.lock", "99:imap-2", 30)  # a live peer's
    _lock(tmp_path / "dave/Maildir/other.lock", "not a dotlock", 30)
    _lock(tmp_path / "erin/Maildir/dovecot-uidlist", "4711:imap-1", 30)  # not a lock file
    assert fence.stale_locks(str(tmp_path), "imap-1", now) == [str(dead_old)]


def test_releasing_removes_the_stale_locks_and_leaves_the_rest(tmp_path, capsys):
    stale = _lock(tmp_path / "alice/Maildir/dovecot-uidlist.lock", "4711:imap-1", 3)
    live = _lock(tmp_path / "bob/Maildir/dovecot-uidlist.lock", "4711:imap-2", 3)
    fence.release(str(tmp_path), fence.Peer("imap-1", "172.30.0.51", misses=fence.DEAD_AFTER), time.time())
    assert not stale.exists() and live.exists()
    assert "imap-1 (172.30.0.51) does not answer" in capsys.readouterr().err


def test_a_peer_is_dead_only_after_several_missed_checks():
    peer = fence.Peer("imap-1", "172.30.0.51")
    peer.misses = fence.DEAD_AFTER - 1
    assert not peer.dead
    peer.misses += 1
    assert peer.dead
