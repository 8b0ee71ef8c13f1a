"""Target files of kind remote: endpoints only, secrets from the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.backends.target import RECORD, file_target, from_record, resolve
from harness.errors import UserError
from harness.models.target_file import load_target_file, secrets_in_clear

EXAMPLE = Path(__file__).resolve().parents[2] / "topologies" / "examples" / "customer-acceptance.yaml"


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "target.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_example_loads_and_verifies_tls():
    target = load_target_file(EXAMPLE)
    assert target.kind == "remote" and target.use == "acceptance" and target.tls is True
    assert [db.name for db in target.databases] == ["db-1", "db-2"]


def test_secrets_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("OXH_ACME_MASTER_PASSWORD", "m-pass")
    monkeypatch.setenv("OXH_ACME_DB_PASSWORD", "d-pass")
    target = file_target(load_target_file(EXAMPLE))
    endpoints = target.endpoints
    assert endpoints.master.password == "m-pass" and endpoints.databases[0].password == "d-pass"
    assert target.policy.read_only and target.policy.faults == "never" and target.access is None
    assert set(endpoints.secrets()) == {"m-pass", "d-pass"}


def test_a_missing_environment_variable_is_named(monkeypatch):
    monkeypatch.delenv("OXH_ACME_MASTER_PASSWORD", raising=False)
    with pytest.raises(UserError, match="OXH_ACME_MASTER_PASSWORD is not set"):
        file_target(load_target_file(EXAMPLE))


def test_secrets_written_in_the_file_are_found_wherever_they_are():
    data = {"master_admin": {"login": "x", "password": "y"}, "databases": [{"account": {"secret": "z"}}],
            "token_env": "OK_NAME"}
    assert secrets_in_clear(data) == ["master_admin.password", "databases[0].account.secret"]


def test_a_file_with_a_secret_is_refused(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["master_admin"]["password"] = "in-clear"
    with pytest.raises(UserError, match=r"secrets must not be written in a target file:\n.*target.yaml:\d+:3: master_admin.password: a secret in clear"):
        load_target_file(write(tmp_path, data))


def test_unknown_keys_and_bad_urls_are_named(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["http_url"] = "not a url"
    data["colour"] = "blue"
    with pytest.raises(UserError) as raised:
        load_target_file(write(tmp_path, data))
    assert "http_url" in str(raised.value) and "colour: unknown key" in str(raised.value)


def test_failover_thresholds_of_a_target_override_the_scenarios(monkeypatch):
    monkeypatch.setenv("OXH_STAGING_MASTER_PASSWORD", "x")
    target = load_target_file(EXAMPLE.parent / "staging-drill.yaml")
    assert file_target(target).policy.thresholds == {"database-write-master-killed": {"max_write_downtime": 15}}


def test_negative_thresholds_are_refused(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["failover_thresholds"] = {"balancer-vip-holder-killed": {"max_probe_downtime": -1}}
    with pytest.raises(UserError, match="failover_thresholds.balancer-vip-holder-killed.max_probe_downtime"):
        load_target_file(write(tmp_path, data))


def test_the_resolved_target_goes_to_the_run_folder_without_secrets_and_a_changed_file_is_refused(
        monkeypatch, tmp_path):
    monkeypatch.setenv("OXH_ACME_MASTER_PASSWORD", "m-pass")
    monkeypatch.setenv("OXH_ACME_DB_PASSWORD", "d-pass")
    source = write(tmp_path, yaml.safe_load(EXAMPLE.read_text()))
    target = resolve("unused", str(source))
    record = tmp_path / RECORD
    record.write_text(json.dumps(target.record()))
    text = record.read_text()
    assert "m-pass" not in text and "d-pass" not in text and '"catalogue_kind": "remote"' in text
    again = from_record(record)
    assert again.endpoints == target.endpoints and again.policy == target.policy
    changed = yaml.safe_load(EXAMPLE.read_text())
    changed["load"] = "allowed"
    source.write_text(yaml.safe_dump(changed))
    with pytest.raises(UserError, match="changed since `oxh qualify` resolved it"):
        from_record(record)


def test_a_target_files_policy_is_judged_before_its_secrets_are_read(monkeypatch):
    monkeypatch.delenv("OXH_ACME_MASTER_PASSWORD", raising=False)
    with pytest.raises(UserError, match="does not allow load"):
        resolve("unused", str(EXAMPLE), check=lambda name, policy: policy.check_load(name, None, name))
    with pytest.raises(UserError, match="is an acceptance target: a capacity sweep is never done to it"):
        resolve("unused", str(EXAMPLE), check=lambda name, policy: policy.check_may_change(name, name, "a capacity sweep"))
