"""Topology files: ci-small loads, and every kind of bad input is named with its file, key path and fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from harness.errors import UserError
from harness.models import loader

CI_SMALL = Path(__file__).resolve().parents[2] / "topologies" / "ci-small.yaml"


def ci_small_data() -> dict[str, Any]:
    return yaml.safe_load(CI_SMALL.read_text())


def problems_of(edit: Callable[[dict], None]) -> str:
    data = copy.deepcopy(ci_small_data())
    edit(data)
    with pytest.raises(UserError) as raised:
        loader.parse(data, source="bad.yaml")
    assert raised.value.exit_code == 2
    return str(raised.value)


def test_ci_small_describes_the_reference_topology():
    topology = loader.load("ci-small")
    counts = {role: len(topology.tier(role).nodes) for role in ("balancer", "middleware", "database", "filestore", "imap", "mta")}
    assert counts == {"balancer": 2, "middleware": 3, "database": 2, "filestore": 1, "imap": 2, "mta": 1}
    assert [node.route for node in topology.middleware.nodes] == ["OX1", "OX2", "OX3"]
    assert [n.name for n in topology.pool_members("oxcluster")] == ["ox-1", "ox-2"]
    assert [n.name for n in topology.pool_members("oxcluster_docs")] == ["ox-1", "ox-3"]
    assert [n.name for n in topology.pool_members("oxcluster_sync")] == ["ox-2", "ox-3"]
    assert topology.db_read_node.name == "db-2"


def set_in(path: str, value: Any) -> Callable[[dict], None]:
    """Edit that sets a dotted path; `nodes[1]` addresses a list item."""

    def edit(data: dict) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = _step(target, part)
        if "[" in last:
            name, index = last[:-1].split("[")
            target[name][int(index)] = value
        else:
            target[last] = value

    return edit


def _step(target: Any, part: str) -> Any:
    if "[" in part:
        name, index = part[:-1].split("[")
        return target[name][int(index)]
    return target[part]


BAD_INPUT = {
    "unknown top-level key": (set_in("colour", "blue"), ["bad.yaml: colour: unknown key", "allowed here: name, kind"]),
    "unknown nested key": (
        set_in("balancer.nodes[0].weight", 3),
        ["balancer.nodes[0].weight: unknown key", "allowed here: name, address, priority"],
    ),
    "duplicate node name": (set_in("imap.nodes[1].name", "imap-1"), ["name 'imap-1' is used twice", "unique name"]),
    "duplicate route": (set_in("middleware.nodes[1].route", "OX1"), ["route 'OX1' of ox-2 is also the route of ox-1"]),
    "duplicate address": (
        set_in("imap.nodes[1].address", "172.30.0.51"),
        ["imap.nodes[1].address: 172.30.0.51 is also used by imap.nodes[0].address"],
    ),
    "address outside the subnet": (
        set_in("mta.nodes[0].address", "10.9.9.9"),
        ["mta.nodes[0].address: 10.9.9.9 is outside network.subnet 172.30.0.0/24"],
    ),
    "VIP in the dynamic range": (
        set_in("balancer.vip.address", "172.30.0.200"),
        ["balancer.vip.address: 172.30.0.200 lies in network.dynamic_range", "pick one outside it"],
    ),
    "VIP equal to a node address": (
        set_in("database.write_vip.address", "172.30.0.21"),
        ["database.write_vip.address: 172.30.0.21 is also used by database.nodes[0].address"],
    ),
    "gateway address": (set_in("mta.nodes[0].address", "172.30.0.1"), ["gateway address of 172.30.0.0/24"]),
    "node in an unknown pool": (
        set_in("middleware.nodes[2].pools", ["oxcluster_docs", "oxcluster_nope"]),
        ["middleware.nodes[2].pools: unknown pool 'oxcluster_nope' of ox-3", "define it under pools"],
    ),
    "same VRID for both VIPs": (
        set_in("database.write_vip.vrid", 51),
        ["database.write_vip.vrid: 51 is also balancer.vip.vrid", "own VRRP id"],
    ),
    "missing key": (lambda data: data.pop("mail_domain"), ["mail_domain: required key is missing; add it"]),
    "wrong type": (set_in("middleware.port", "http"), ["middleware.port:"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_bad_input_names_file_key_path_and_fix(case):
    edit, expected = BAD_INPUT[case]
    message = problems_of(edit)
    for fragment in expected:
        assert fragment in message, message
    assert "nothing was started" in message


def test_a_pool_without_members_is_refused():
    def edit(data):
        data["pools"]["oxcluster_spare"] = {"paths": ["/spare"]}

    assert "pools.oxcluster_spare: no middleware node is a member" in problems_of(edit)


@pytest.mark.parametrize(
    "role, nodes, expected",
    [
        ("middleware", [], "middleware.nodes: the design needs at least 1 middleware node(s)"),
        ("filestore", [], "filestore.nodes: the design needs at least 1 filestore node(s)"),
        ("database", None, "database.nodes: the design's database tier is a MySQL master-master pair"),
        ("database", [], "exactly 2 nodes that replicate both ways and share the write VIP; found 0"),
    ],
)
def test_tier_counts_the_design_needs(role, nodes, expected):
    def edit(data):
        if nodes is None:
            extra = {"name": "db-3", "address": "172.30.0.23", "server_id": 3, "priority": 50}
            data[role]["nodes"].append(extra)
        else:
            data[role]["nodes"] = nodes
            if role == "middleware":
                data["pools"] = {}

    assert expected in problems_of(edit)


def test_every_problem_is_reported_at_once():
    def edit(data):
        set_in("imap.nodes[1].name", "imap-1")(data)
        set_in("mta.nodes[0].address", "10.9.9.9")(data)

    message = problems_of(edit)
    assert "2 problem(s)" in message


def test_invalid_yaml_names_the_file(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(UserError, match=r"broken.yaml:2:1: not valid YAML: expected ',' or ']'"):
        loader.load(bad)


def test_unknown_topology_lists_the_shipped_ones():
    with pytest.raises(UserError) as raised:
        loader.load("no-such-topology")
    assert "ci-small" in str(raised.value)


def test_one_database_is_refused_as_not_a_master_master_pair():
    message = problems_of(lambda data: data["database"]["nodes"].pop())
    assert "database.nodes: the design's database tier is a MySQL master-master pair" in message
    assert "found 1; list two masters" in message


def test_one_balancer_is_refused_unless_the_file_accepts_the_single_point_of_failure():
    message = problems_of(lambda data: data["balancer"]["nodes"].pop())
    assert "balancer.nodes: lb-1 holds the VIP with no peer to take it over, a single point of failure" in message
    assert "set balancer.ha: false" in message
    data = copy.deepcopy(ci_small_data())
    data["balancer"]["nodes"].pop()
    data["balancer"]["ha"] = False
    topology = loader.parse(data)
    assert topology.warnings() == ["balancer.ha: false: lb-1 is the only balancer, so the VIP has no peer to move to; "
                                   "it is a single point of failure"]
    assert loader.load("ci-small").warnings() == []


def test_a_pool_of_one_member_is_refused_unless_the_file_accepts_the_single_point_of_failure():
    def one_sync_member(data):
        data["middleware"]["nodes"][1]["pools"] = ["oxcluster"]

    message = problems_of(one_sync_member)
    assert "pools.oxcluster_sync: ox-3 is its only member, a single point of failure" in message
    assert "set pools.oxcluster_sync.ha: false" in message
    data = copy.deepcopy(ci_small_data())
    one_sync_member(data)
    data["pools"]["oxcluster_sync"]["ha"] = False
    assert loader.parse(data).warnings() == [
        "pools.oxcluster_sync.ha: false: ox-3 is the pool's only member, so its clients have no other node to go "
        "to; it is a single point of failure"]


def test_problems_name_the_line_and_column_of_the_key_at_fault(tmp_path):
    text = CI_SMALL.read_text()
    text = text.replace("{name: lb-2, address: 172.30.0.12, priority: 100}",
                        "{name: lb-2, address: 172.30.0.300, priority: 100}")
    text = text.replace("mail_domain:", "mail_domian:")
    message, lines = problems_in_file(tmp_path, text)
    row = next(i for i, line in enumerate(lines) if "172.30.0.300" in line)
    column = lines[row].index("address") + 1
    assert f"bad.yaml:{row + 1}:{column}: balancer.nodes[1].address:" in message, message
    row = next(i for i, line in enumerate(lines) if line.startswith("mail_domian"))
    assert f"bad.yaml:{row + 1}:1: mail_domian: unknown key" in message
    # A missing key is placed at the mapping that lacks it: here the file's first key.
    first = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    assert f"bad.yaml:{first + 1}:1: mail_domain: required key is missing" in message


def test_a_cross_field_problem_is_placed_at_the_key_it_names(tmp_path):
    message, lines = problems_in_file(tmp_path, CI_SMALL.read_text().replace("route: OX2", "route: OX1"))
    ox2 = next(i for i, line in enumerate(lines) if "name: ox-2" in line)
    column = lines[ox2].index("route") + 1
    assert f"bad.yaml:{ox2 + 1}:{column}: middleware.nodes[1].route: route 'OX1' of ox-2" in message


def problems_in_file(tmp_path: Path, text: str) -> tuple[str, list[str]]:
    """The problems `oxh` finds in a topology file with this text, and the file's lines."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(UserError) as raised:
        loader.load(bad)
    return str(raised.value), text.splitlines()


def test_generated_secrets_never_look_like_a_command_line_option():
    from harness.backends.docker.state import secret

    assert all(not secret().startswith("-") for _ in range(2000))
