"""A node's worker processes: their count from its setting and CPU quota (the node run as several workers is
tested in its image, tests/integration/test_reference_middleware.py)."""

from __future__ import annotations

import pytest

from oxref import config as config_module
from oxref.workers import quota_cores, worker_count

from test_columns_config_metrics import NODE


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
