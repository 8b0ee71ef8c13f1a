"""Sync clients as the public CalDAV compatibility checker sees the reference: `oxh bench-dav` runs
caldav-server-tester through each member of ci-small's sync pool and finds no feature broken or ungraceful."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_caldav_server_tester_finds_nothing_broken_through_any_sync_member(ci_small):
    cluster, _ = ci_small
    result = subprocess.run([sys.executable, "-m", "harness.cli.main", "bench-dav", "--project", cluster.project],
                            capture_output=True, text=True, cwd=REPO, timeout=600, env={**os.environ, "COLUMNS": "200"})
    output = result.stdout + result.stderr[-3000:]
    assert result.returncode == 0, output
    rows = {route: [int(n) for n in counts] for route, *counts in
            re.findall(r"│ (OX\d)\s+│ (\d+)\s+│ (\d+)\s+│ (\d+)\s+│ (\d+)\s+│ (\d+)\s+│ (\d+)\s+│ (\d+)", result.stdout)}
    assert set(rows) == {"OX2", "OX3"}, output  # the sync pool's members
    for route, (full, _unsupported, _fragile, _quirk, broken, ungraceful, _unknown) in rows.items():
        assert full >= 60 and broken == 0 and ungraceful == 0, (route, output)
