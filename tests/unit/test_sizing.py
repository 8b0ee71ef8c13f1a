"""The full-size 1M design loads, adds up, and refuses designs without HA."""

from __future__ import annotations

import copy

import pytest
import yaml

from harness.errors import UserError
from harness.topology import loader
from harness.topology.sizing import SizingDesign, load_sizing


def test_reference_1m_follows_the_vendor_design():
    design = load_sizing("reference-1m")
    assert design.users == 1_000_000
    assert design.tiers["middleware_groupware"].count >= 3
    assert design.nodes_of("database") == 2
    assert design.nodes_of("balancer") == 2
    assert all(tier.ram_gib == 16 for name, tier in design.tiers.items() if name.startswith("middleware"))
    assert design.peak_requests_per_second == pytest.approx(5000)


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
