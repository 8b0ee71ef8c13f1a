"""`oxh doctor`: one table of what the machine has for each use; a target's endpoints are tried one by one."""

from __future__ import annotations

import socket

import pytest
from rich.console import Console

from harness.cli import doctor

TARGET = """\
name: local-check
kind: remote
http_url: http://127.0.0.1:{open}
master_admin: {{login: oxadminmaster, password_env: OXH_T_MASTER}}
imap:
  - {{host: 127.0.0.1, port: {open}}}
  - {{host: 127.0.0.1, port: {closed}}}
smtp: {{host: 127.0.0.1, port: {open}}}
mail_domain: local.test
"""


@pytest.fixture
def listening():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    yield server.getsockname()[1], closed.getsockname()[1]
    server.close()
    closed.close()


def test_every_endpoint_of_a_target_is_tried_and_an_unreachable_one_is_named_with_its_mend(tmp_path, listening):
    open_port, closed_port = listening
    target = tmp_path / "target.yaml"
    target.write_text(TARGET.format(open=open_port, closed=closed_port))
    checks = {check.what: check for check in doctor.target_checks(str(target))}
    assert set(checks) == {"balancer (http_url)", "IMAP 1", "IMAP 2", "SMTP"}
    assert checks["IMAP 1"].ok and checks["SMTP"].ok and checks["balancer (http_url)"].ok
    assert not checks["IMAP 2"].ok and f"127.0.0.1:{closed_port}" in checks["IMAP 2"].detail
    assert "check the address in the target file" in checks["IMAP 2"].mend


def test_the_exit_code_says_whether_anything_is_missing(monkeypatch, tmp_path, listening):
    open_port, closed_port = listening
    monkeypatch.setattr(doctor, "machine_checks", lambda: [doctor.python_check()])
    console = Console(width=200, record=True)
    assert doctor.run_doctor(console) == 0
    assert "ready for every use" in console.export_text()
    target = tmp_path / "target.yaml"
    target.write_text(TARGET.format(open=open_port, closed=closed_port))
    assert doctor.run_doctor(console, str(target)) == 1
    assert "1 missing (for: acceptance)" in console.export_text()


def test_a_missing_tool_names_the_package_that_brings_it():
    check = doctor.tool_check("reference", "no-such-tool-oxh", "some-package", "for a test")
    assert not check.ok and check.mend == "apt-get install some-package"
