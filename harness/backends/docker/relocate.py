"""Move a topology to another subnet, keeping every address's offset within it.

Lets a second project run beside the first: its network gets a free /24 and
every fixed address and VIP moves with it.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, ip_address, ip_network
from typing import Any

from harness.models.topology import Topology


def relocate(topology: Topology, subnet: IPv4Network) -> Topology:
    old = topology.network.subnet
    if subnet == old:
        return topology
    if subnet.prefixlen != old.prefixlen:
        raise ValueError(f"cannot move a /{old.prefixlen} topology to {subnet}")
    data = topology.model_dump(mode="json")
    return Topology.model_validate(_shift(data, old, subnet))


def _shift(value: Any, old: IPv4Network, new: IPv4Network) -> Any:
    if isinstance(value, dict):
        return {key: _shift(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_shift(item, old, new) for item in value]
    if isinstance(value, str):
        return _shift_text(value, old, new)
    return value


def _shift_text(text: str, old: IPv4Network, new: IPv4Network) -> str:
    try:
        if "/" in text:
            net = ip_network(text)
            if net.subnet_of(old):
                moved = _move(net.network_address, old, new)
                return f"{moved}/{net.prefixlen}"
            return text
        address = ip_address(text)
    except ValueError:
        return text
    return str(_move(address, old, new)) if address in old else text


def _move(address: IPv4Address, old: IPv4Network, new: IPv4Network) -> IPv4Address:
    return new.network_address + (int(address) - int(old.network_address))
