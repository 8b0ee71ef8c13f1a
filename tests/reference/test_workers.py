"""A node's worker processes: their count from its setting and CPU quota, and the supervisor that keeps them (with
workers that only wait; the node serving as several workers is tested in its image,
tests/integration/test_reference_middleware.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oxref import config as config_module
from oxref.workers import COUNT_FILE, quota_cores, worker_count

from test_columns_config_metrics import NODE

REFERENCE = Path(__file__).resolve().parents[2] / "reference"


def test_quota_is_read_from_cgroup_v2_and_v1(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert quota_cores(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert quota_cores(tmp_path) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("25000")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000")
    assert quota_cores(v1) == 0.25
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("-1")
    assert quota_cores(v1) is None
    assert quota_cores(tmp_path / "nothing") is None


@pytest.mark.parametrize(("setting", "quota", "shared", "count"), [
    ("auto", None, True, 1),  # no quota: no core of the shared host is the node's own
    ("auto", 0.1, True, 1),
    ("auto", 1.0, True, 1),
    ("auto", 1.2, True, 2),
    ("auto", 8.0, True, 8),
    (3, None, True, 3),
    (3, 0.5, True, 3),
    ("auto", 4.0, False, 1),  # local sessions live in one process
])
def test_worker_count_follows_setting_and_quota(setting, quota, shared, count):
    assert worker_count(setting, quota, shared) == count


def test_workers_setting_is_checked():
    assert config_module.parse(NODE).workers == "auto"
    assert config_module.parse({**NODE, "workers": 4}).workers == 4
    for wrong in (0, "two", True, 1.5):
        with pytest.raises(config_module.ConfigError, match="workers must be"):
            config_module.parse({**NODE, "workers": wrong})
    with pytest.raises(config_module.ConfigError, match="local.*workers: 1"):
        config_module.parse({**NODE, "workers": 2, "sessions": {"storage": "local"}})


SUPERVISOR = """
import sys, time
from pathlib import Path
from oxref import config as config_module
from oxref.workers import Supervisor
folder, quota_file = Path(sys.argv[1]), Path(sys.argv[2])
config = config_module.parse(json.loads(sys.argv[3]))
def quota():
    text = quota_file.read_text().strip()
    return float(text) if text else None
Supervisor(config, lambda config: time.sleep(3600), folder, quota=quota).run()
"""


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _until(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


def test_the_supervisor_follows_the_quota_restarts_a_lost_worker_and_stops_them_all(tmp_path):
    quota = tmp_path / "quota"
    quota.write_text("0.5")
    supervisor = subprocess.Popen([sys.executable, "-c", "import json\n" + SUPERVISOR, str(tmp_path), str(quota),
                                   json.dumps(NODE)], env={**os.environ, "PYTHONPATH": str(REFERENCE)},
                                  stderr=subprocess.PIPE, text=True)
    try:
        count = tmp_path / COUNT_FILE
        _until(lambda: count.is_file() and count.read_text() == "1")
        assert len(_until(lambda: _children(supervisor.pid))) == 1

        quota.write_text("2.5")  # three workers, rounded up
        workers = _until(lambda: len(found := _children(supervisor.pid)) == 3 and found)
        assert count.read_text() == "3"

        lost = min(workers)
        os.kill(lost, signal.SIGKILL)  # a worker that dies is started again
        again = _until(lambda: len(found := _children(supervisor.pid)) == 3 and lost not in found and found)
        assert len(again - workers) == 1

        quota.write_text("")  # no quota: one worker
        _until(lambda: len(_children(supervisor.pid)) == 1 and count.read_text() == "1")
        last = _children(supervisor.pid)
    finally:
        supervisor.send_signal(signal.SIGTERM)
        status = supervisor.wait(timeout=15)
    assert status == 0, supervisor.stderr.read()[-2000:]
    assert not any(Path(f"/proc/{pid}").exists() for pid in last), "a worker outlived its supervisor"
