"""The `oxh` command line without a Docker engine: help, validation, bad names."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.main import main

CI_SMALL = Path(__file__).resolve().parents[2] / "topologies" / "ci-small.yaml"


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("up", "down", "status", "images", "validate", "bench"):
        assert command in out


def test_validate_accepts_ci_small(capsys):
    assert main(["validate", "ci-small"]) == 0
    assert "ci-small: valid (11 nodes" in capsys.readouterr().out


def test_validate_rejects_a_bad_file_with_exit_code_2(tmp_path: Path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CI_SMALL.read_text().replace("route: OX2", "route: OX1"))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "route 'OX1'" in err and "Traceback" not in err


def test_unknown_topology_name_lists_the_shipped_ones(capsys):
    assert main(["validate", "no-such-topology"]) == 2
    assert "ci-small" in capsys.readouterr().err


def test_invalid_project_name_is_refused(capsys):
    assert main(["status", "--project", "Bad Name"]) == 2
    assert "project name 'Bad Name' is not valid" in capsys.readouterr().err
