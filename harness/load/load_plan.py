"""A load run's plan: what the Locust process needs to know, handed to it as one JSON file.

The harness writes the plan (the profile itself, with the target's SLOs,
target addresses, test users, shape) into the run folder and starts Locust with `OXH_LOAD_PLAN` naming it; the
locustfile reads it back. Nothing else crosses the process boundary.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.load.profile import LoadProfile

Shape = Literal["steps", "constant", "soak"]
ENV = "OXH_LOAD_PLAN"
SPAWN_GRACE = 5.0  # seconds past twice a level's ramp after which its step is measured anyway (users that died)


class LoadPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: LoadProfile
    http_url: str
    verify_tls: bool = True
    imap: list[tuple[str, int]] = Field(default_factory=list)
    smtp: tuple[str, int] | None = None
    accounts: list[dict[str, str]] = Field(min_length=1, description="login, password, email of each test user")
    shape: Shape = "constant"
    users: int = Field(ge=1)
    spawn_rate: float = Field(gt=0)
    duration: float = Field(gt=0, description="seconds of a constant or soak run")
    steps: list[int] = Field(default_factory=list)
    hold_seconds: float = 60
    stop_after_slo_miss: bool = Field(
        default=False, description="a stepped run ends with the first step that misses the profile's SLOs "
                                   "(harness.load.step_verdict): the steps above it cannot show a capacity")
    speedup: float = Field(default=1, ge=1)
    output: str = Field(description="folder the locustfile writes steps.json into")

    def planned_seconds(self) -> float:
        """How long the shape runs at most: a step waits for its users to start, then is held up to twice its
        time until steady."""
        if self.shape == "steps":
            return sum(self.start_bound(index) + 2 * self.hold_seconds for index in range(len(self.steps)))
        return self.duration

    def start_bound(self, index: int) -> float:
        """Seconds a step waits at most for its users to start: twice its ramp at the spawn rate, and a grace."""
        added = self.steps[index] - (self.steps[index - 1] if index else 0)
        return 2 * max(added, 0) / self.spawn_rate + SPAWN_GRACE

    def write(self, path: Path) -> Path:
        path.write_text(self.model_dump_json(indent=2))
        return path

    @classmethod
    def from_environment(cls) -> "LoadPlan":
        return cls.model_validate_json(Path(os.environ[ENV]).read_text())

