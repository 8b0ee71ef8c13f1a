"""The `oxh` command line without a Docker engine: help, validation, bad names."""

from __future__ import annotations

import re
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
    assert "valid topology ci-small (11 nodes" in capsys.readouterr().out


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


def test_validate_knows_a_sizing_design_and_a_target_file_by_their_content(capsys):
    assert main(["validate", "reference-1m"]) == 0
    assert "valid sizing design reference-1m (1,000,000 users" in capsys.readouterr().out
    example = CI_SMALL.parent / "examples" / "customer-acceptance.yaml"
    assert main(["validate", str(example)]) == 0
    assert "valid target file customer-acme" in capsys.readouterr().out


def test_validate_warns_of_a_single_balancer_accepted_on_purpose(tmp_path: Path, capsys):
    text = CI_SMALL.read_text().replace("    - {name: lb-2, address: 172.30.0.12, priority: 100}\n", "")
    single = tmp_path / "single.yaml"
    single.write_text(text)
    assert main(["validate", str(single)]) == 2
    assert "single point of failure" in capsys.readouterr().err
    single.write_text(text.replace("balancer:\n", "balancer:\n  ha: false\n", 1))
    assert main(["validate", str(single)]) == 0
    out, err = capsys.readouterr()
    assert "valid topology" in out and "warning:" in err and "lb-1 is the only balancer" in err


@pytest.mark.parametrize("content, expected", [
    ("name: [unclosed\n", r"broken.yaml:2:1: not valid YAML"),
    ("- a list\n", "expected a mapping at the top level"),
])
def test_validate_says_where_a_file_is_not_yaml_or_not_a_mapping(tmp_path: Path, capsys, content, expected):
    broken = tmp_path / "broken.yaml"
    broken.write_text(content)
    assert main(["validate", str(broken)]) == 2
    err = capsys.readouterr().err
    assert re.search(expected, err) and "Traceback" not in err
