"""`pip install` gives a working `oxh`: the wheel is built from this checkout, installed in a fresh
virtualenv outside it, and used from another folder as a customer would on a jump host: it validates
the shipped topology, explains `qualify`, runs the functional suite against the running reference
topology (through `oxh qualify` and through plain pytest with the `oxh` plugin), and writes its report
where it was run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.checks.conformance import spec_path
from harness.report.requirement_catalogue import load_catalogue
from harness.report.run_folder import verdict_of
from vip_moves import fail_over_writes_to

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder of a fresh virtualenv with the wheel installed, a working folder outside the checkout)."""
    base = tmp_path_factory.mktemp("installed")
    wheels, source = base / "wheels", base / "source"
    # Built from a copy: setuptools builds in the source tree, and a stale build/ would leak into the wheel.
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "reports",
                                                                  "*.egg-info", "__pycache__"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)], cwd=base)
    wheel = next(wheels.glob("ox_harness-*.whl"))
    run([sys.executable, "-m", "venv", str(base / "venv")], cwd=base)
    run([str(base / "venv" / "bin" / "pip"), "install", "-q", str(wheel)], cwd=base, timeout=900)
    work = base / "work"
    work.mkdir()
    return base / "venv" / "bin", work


def run(argv: list[str], cwd: Path, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, f"{' '.join(argv)}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result


def test_the_installed_package_carries_what_oxh_needs(installed):
    bin_dir, work = installed
    where = run([str(bin_dir / "python"), "-c", "import harness, harness.resources as r; "
                 "print(harness.__file__); print(r.suites_dir()); print(r.topologies_dir()); "
                 "print(r.architecture().read_text().splitlines()[0])"], cwd=work).stdout
    assert str(REPO) not in where and "site-packages" in where, where
    assert "# " in where.splitlines()[-1], f"the wheel carries no docs/ARCHITECTURE.md: {where}"
    assert "oxh 0.1.0" in run([str(bin_dir / "oxh"), "--version"], cwd=work).stdout
    validated = run([str(bin_dir / "oxh"), "validate", "ci-small"], cwd=work).stdout
    assert "valid topology ci-small (11 nodes" in validated
    assert "valid sizing design reference-1m" in run([str(bin_dir / "oxh"), "validate", "reference-1m"], cwd=work).stdout
    explained = run([str(bin_dir / "oxh"), "qualify", "--help"], cwd=work).stdout
    assert "--suites" in explained and "PARTIAL" in explained


def test_the_installed_package_qualifies_the_running_reference_topology(installed, ci_small):
    bin_dir, work = installed
    cluster, topology = ci_small
    fail_over_writes_to(cluster, topology, "db-1")  # an earlier failover may have left writes on db-2
    env = {"OXH_API_SPEC": str(spec_path())}  # the public spec is not part of the package
    outside = {key: value for key, value in os.environ.items() if key != "OXH_REPORTS_DIR"}
    result = subprocess.run([str(bin_dir / "oxh"), "qualify", "--project", cluster.project, "--suites", "functional"],
                            cwd=work, capture_output=True, text=True, timeout=900, env={**outside, **env})
    assert result.returncode == 3, result.stdout[-4000:] + result.stderr[-2000:]  # PARTIAL, nothing failed
    assert "PARTIAL" in result.stdout
    folder = Path(re.search(r"report: (\S+)/report\.html", result.stdout).group(1))
    assert folder.parent == work / "reports", "the report is written where oxh was run"
    verdict = verdict_of(folder)
    ids = {requirement.id for requirement in load_catalogue().of_suite("functional")}
    functional = [v for v in verdict.requirements if v.id in ids]
    assert functional and {v.status for v in functional} == {"passed"}, [(v.id, v.status) for v in functional]

    # The same suite through plain pytest: the oxh plugin comes with the package (pytest11 entry point).
    suites = run([str(bin_dir / "python"), "-c", "import harness.resources as r; print(r.suites_dir())"],
                 cwd=work).stdout.strip()
    plain = run([str(bin_dir / "pytest"), f"{suites}/functional", "-c", f"{suites}/pytest.ini", "--rootdir", suites,
                 "-p", "no:cacheprovider", "--project", cluster.project, "-q", "-k", "route_sticks or filestore_is_shared"],
                cwd=work, env=env)
    assert re.search(r"\d+ passed", plain.stdout) and "failed" not in plain.stdout, plain.stdout[-2000:]
