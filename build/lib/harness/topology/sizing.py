"""Typed model of a full-size design (topologies/reference-1m.yaml) for capacity planning.

Unlike a topology it names no addresses: it says how many machines of which
size each tier has, and the concurrency assumptions behind those counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from harness.topology.loader import read_yaml, resolve, validate
from harness.topology.model import NAME_PATTERN, Strict

Role = Literal["balancer", "middleware", "database", "filestore", "imap", "mta"]


class Concurrency(Strict):
    peak_session_share: float = Field(gt=0, le=1, description="Share of users with a live session at peak.")
    requests_per_session_per_second: float = Field(gt=0)
    source: str = Field(min_length=1, description="Where these figures come from.")


class Tier(Strict):
    role: Role
    count: int = Field(ge=1)
    cores: int = Field(ge=1)
    ram_gib: int = Field(ge=1)
    disk_gib: int | None = Field(default=None, ge=1)
    purpose: str = Field(min_length=1)


class SizingDesign(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    users: int = Field(ge=1)
    concurrency: Concurrency
    tiers: dict[str, Tier]

    @model_validator(mode="after")
    def _ha_minimums(self) -> "SizingDesign":
        problems = []
        groupware = self.tiers.get("middleware_groupware")
        if groupware is None or groupware.count < 2:
            problems.append("tiers.middleware_groupware.count: the design needs at least 2 groupware nodes (3 recommended)")
        databases = [tier for tier in self.tiers.values() if tier.role == "database"]
        if sum(tier.count for tier in databases) != 2:
            problems.append("tiers.database.count: a master-master pair is exactly 2 database nodes")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def peak_requests_per_second(self) -> float:
        share = self.concurrency
        return self.users * share.peak_session_share * share.requests_per_session_per_second

    def total_cores(self) -> int:
        return sum(tier.count * tier.cores for tier in self.tiers.values())

    def total_ram_gib(self) -> int:
        return sum(tier.count * tier.ram_gib for tier in self.tiers.values())

    def nodes_of(self, role: str) -> int:
        return sum(tier.count for tier in self.tiers.values() if tier.role == role)


def load_sizing(name_or_path: str | Path) -> SizingDesign:
    source = read_yaml(resolve(name_or_path), example="topologies/reference-1m.yaml")
    return validate(SizingDesign, source, "sizing design", "correct the keys named above")
