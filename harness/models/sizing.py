"""Typed model of a full-size design (topologies/reference-1m.yaml) for capacity planning.

Unlike a topology it names no addresses: it says how many machines of which
size each tier has, and the demand factors behind those counts. Every factor
carries its value and its `source` (a vendor paper, a product default, a
load profile, or "assumption: ..."), so that `oxh size` can say which parts
of its answer rest on what. The tiers the sizing model reasons about must
all be present; the HA minimums of the vendor's design are enforced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from harness.models.loader import read_yaml, resolve, validate
from harness.models.topology import NAME_PATTERN, Strict

Role = Literal["balancer", "middleware", "database", "filestore", "imap", "mta"]
# The tiers the sizing model needs, with the role each must have.
REQUIRED_TIERS: dict[str, str] = {
    "balancer": "balancer",
    "middleware_groupware": "middleware",
    "database": "database",
    "filestore": "filestore",
    "imap": "imap",
    "mta": "mta",
}


class Factor(Strict):
    """One demand factor: its value and where it comes from."""

    value: float = Field(gt=0)
    source: str = Field(min_length=1, description="vendor paper, product default, profile, or 'assumption: ...'")
    interval: tuple[float, float] | None = Field(
        default=None, description="a measured factor's values at the ends of its interval (low, high)")

    @property
    def is_assumption(self) -> bool:
        return "assumption" in self.source.lower()


class RequestRate(Strict):
    """Requests per live session per second: a figure, or computed from a load profile's mix."""

    value: float | None = Field(default=None, gt=0)
    from_profile: str | None = Field(default=None, description="load profile whose action rates give the figure")
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_of_value_or_profile(self) -> "RequestRate":
        if (self.value is None) == (self.from_profile is None):
            raise ValueError("give either `value` (requests per session per second) or `from_profile` "
                             "(a load profile name such as webmail), not both and not neither")
        return self


class SyncClients(Strict):
    """Calendar, contact and mail apps that sync through the sync pool (CalDAV/CardDAV, EAS), beside the users
    signed in to the UI."""

    share: Factor = Field(description="sync clients polling at peak, per user (a user with two phones counts twice)")
    from_profile: str = Field(description="load profile whose DAV users' action rates give each client's requests")
    source: str = Field(min_length=1, description="why that profile's rates stand for the installation's clients")


class Demand(Strict):
    peak_session_share: Factor = Field(description="share of users with a live session at peak")
    requests_per_session_per_second: RequestRate
    sync_clients: SyncClients | None = Field(
        default=None, description="sync clients at peak; without it the design has no demand on the sync pool")
    peak_factor: Factor = Factor(
        value=1.0, source="assumption: not given in the design; the peak hour's average rate is taken as its peak")
    target_utilisation: Factor = Factor(
        value=0.7, source="default of oxh size: plan nodes to run at 70 % of their capacity at SLO")
    per_core_scaling: Factor = Factor(
        value=1.0, source="assumption: not given in the design; throughput grows linearly with cores per node")
    memory_base_gib: Factor = Factor(
        value=2.0, source="assumption: not given in the design; 2 GiB per node before any session")

    @model_validator(mode="after")
    def _shares_at_most_one(self) -> "Demand":
        problems = [f"{name}.value: a share must be at most 1 (got {getattr(self, name).value})"
                    for name in ("peak_session_share", "target_utilisation") if getattr(self, name).value > 1]
        if problems:
            raise ValueError("\n".join(problems))
        return self


class Tier(Strict):
    role: Role
    count: int = Field(ge=1)
    cores: int = Field(ge=1)
    ram_gib: int = Field(ge=1)
    disk_gib: int | None = Field(default=None, ge=1)
    purpose: str = Field(min_length=1)
    source: str | None = Field(default=None, min_length=1, description="where the count comes from")
    per_core_scaling: Factor | None = Field(
        default=None, description="throughput of one of this tier's cores against one of the cores measured, "
                                  "measured for this tier's software; without it, the demand's per_core_scaling")


class SizingDesign(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    users: int = Field(ge=1)
    failure_domains: int | None = Field(
        default=None, ge=2, description="racks or rooms the nodes are spread over; a tier must survive losing one")
    demand: Demand
    tiers: dict[str, Tier]

    @model_validator(mode="after")
    def _required_tiers(self) -> "SizingDesign":
        problems = []
        for name, role in REQUIRED_TIERS.items():
            tier = self.tiers.get(name)
            if tier is None:
                problems.append(f"tiers.{name}: the sizing model needs this tier (role {role}); add it")
            elif tier.role != role:
                problems.append(f"tiers.{name}.role: must be {role} (got {tier.role})")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _ha_minimums(self) -> "SizingDesign":
        problems = []
        groupware = self.tiers.get("middleware_groupware")
        if groupware is not None and groupware.count < 2:
            problems.append("tiers.middleware_groupware.count: "
                            "the design needs at least 2 groupware nodes (3 recommended)")
        databases = [tier for tier in self.tiers.values() if tier.role == "database"]
        if sum(tier.count for tier in databases) != 2:
            problems.append("tiers.database.count: a master-master pair is exactly 2 database nodes")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def peak_sessions(self) -> float:
        return self.users * self.demand.peak_session_share.value

    def per_core_scaling(self, tier: str) -> Factor:
        """The per-core scaling that extrapolates `tier`: its own where measured or given, else the demand's."""
        return self.tiers[tier].per_core_scaling or self.demand.per_core_scaling

    def total_cores(self) -> int:
        return sum(tier.count * tier.cores for tier in self.tiers.values())

    def total_ram_gib(self) -> int:
        return sum(tier.count * tier.ram_gib for tier in self.tiers.values())

    def nodes_of(self, role: str) -> int:
        return sum(tier.count for tier in self.tiers.values() if tier.role == role)


def load_sizing(name_or_path: str | Path) -> SizingDesign:
    source = read_yaml(resolve(name_or_path), example="topologies/reference-1m.yaml")
    return validate(SizingDesign, source, "sizing design", "correct the keys named above")
