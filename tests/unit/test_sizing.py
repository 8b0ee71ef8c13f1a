"""The full-size 1M design loads, adds up, and refuses designs without HA."""

from __future__ import annotations

import copy

import pytest
import yaml

from harness.errors import UserError
from harness.models import loader
from harness.models.sizing import SizingDesign, load_sizing


def test_reference_1m_follows_the_vendor_design():
    design = load_sizing("reference-1m")
    assert design.users == 1_000_000
    assert design.tiers["middleware_groupware"].count >= 3
    assert design.nodes_of("database") == 2
    assert design.nodes_of("balancer") == 2
    assert all(tier.ram_gib == 16 for name, tier in design.tiers.items() if name.startswith("middleware"))
    assert design.peak_sessions == pytest.approx(100_000)


def test_every_demand_factor_says_where_it_comes_from():
    demand = load_sizing("reference-1m").demand
    assert demand.requests_per_session_per_second.from_profile == "webmail"
    for name in ("peak_session_share", "requests_per_session_per_second", "peak_factor", "target_utilisation",
                 "per_core_scaling", "memory_base_gib"):
        assert getattr(demand, name).source.strip(), name
    assert demand.per_core_scaling.is_assumption


def test_totals_add_every_tier():
    design = load_sizing("reference-1m")
    assert design.total_cores() == sum(t.count * t.cores for t in design.tiers.values())
    assert design.total_ram_gib() == sum(t.count * t.ram_gib for t in design.tiers.values())
    assert design.total_ram_gib() > 500


def reference_data() -> dict:
    return yaml.safe_load(loader.resolve("reference-1m").read_text())


def test_a_single_database_is_refused(tmp_path):
    data = copy.deepcopy(reference_data())
    data["tiers"]["database"]["count"] = 1
    path = tmp_path / "one-db.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(UserError, match=r"one-db.yaml:\d+:\d+: tiers.database.count: a master-master pair"):
        load_sizing(path)


def test_unknown_keys_are_named_with_their_path(tmp_path):
    data = copy.deepcopy(reference_data())
    data["tiers"]["imap"]["colour"] = "blue"
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(UserError, match=r"tiers.imap.colour: unknown key.*allowed here: role, count"):
        load_sizing(path)


def test_one_groupware_node_is_not_highly_available():
    data = copy.deepcopy(reference_data())
    data["tiers"]["middleware_groupware"]["count"] = 1
    with pytest.raises(ValueError, match="at least 2 groupware nodes"):
        SizingDesign.model_validate(data)


def write(tmp_path, data: dict, name: str = "design.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_factor_without_its_source_is_named_where_it_stands(tmp_path):
    data = copy.deepcopy(reference_data())
    del data["demand"]["peak_factor"]["source"]
    path = write(tmp_path, data)
    with pytest.raises(UserError, match=r"design.yaml:\d+:\d+: demand.peak_factor.source: required key is missing"):
        load_sizing(path)


def test_a_tier_the_model_needs_is_required(tmp_path):
    data = copy.deepcopy(reference_data())
    del data["tiers"]["imap"]
    path = write(tmp_path, data)
    with pytest.raises(UserError, match=r"design.yaml:\d+:\d+: tiers.imap: the sizing model needs this tier"):
        load_sizing(path)


def test_the_request_rate_is_a_figure_or_a_profile_not_both(tmp_path):
    data = copy.deepcopy(reference_data())
    data["demand"]["requests_per_session_per_second"]["value"] = 0.05
    with pytest.raises(UserError, match=r"demand.requests_per_session_per_second: give either `value`"):
        load_sizing(write(tmp_path, data))


def test_shares_above_one_are_refused(tmp_path):
    data = copy.deepcopy(reference_data())
    data["demand"]["target_utilisation"]["value"] = 1.2
    with pytest.raises(UserError, match=r"demand.target_utilisation.value: a share must be at most 1"):
        load_sizing(write(tmp_path, data))


def test_optional_factors_default_with_a_stated_source(tmp_path):
    data = copy.deepcopy(reference_data())
    for name in ("peak_factor", "per_core_scaling"):
        del data["demand"][name]
    demand = load_sizing(write(tmp_path, data)).demand
    assert demand.peak_factor.value == 1.0 and demand.peak_factor.is_assumption
    assert demand.per_core_scaling.value == 1.0 and demand.per_core_scaling.is_assumption
