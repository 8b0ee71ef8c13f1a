"""Load profiles (loadprofiles/*.yaml): user behaviour as data, validated before anything runs.

A profile has user classes with weights; each class speaks one protocol
(http through the balancer, dav and eas through the sync pool, imap straight
to Dovecot, smtp submission), keeps a session for a stated time, and does
actions at stated rates per user per hour, each with its source. Between two
actions a user thinks for a time drawn from the class's distribution whose
mean makes those rates come true (3600 / the class's actions per hour,
divided by the run's speed-up). SLOs are per request class (p95, p99, error
ratio), with a `default` for the classes not named; a target file may
override them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from harness import resources
from harness.models.loader import read_yaml, resolve, validate
from harness.models.topology import NAME_PATTERN, Strict

Protocol = Literal["http", "dav", "imap", "smtp"]
# Every request class a user of each protocol can make (what harness.load.users implements).
REQUESTS: dict[str, tuple[str, ...]] = {
    "http": ("mail.all", "mail.get", "mail.send", "folders.list", "refresh", "chronos.all", "contacts.all",
             "tasks.all", "infostore.upload", "infostore.download"),
    "dav": ("dav.propfind", "dav.report", "eas.options"),
    "imap": ("imap.select", "imap.fetch", "imap.status"),
    "smtp": ("smtp.send",),
}
RETRY_SUFFIX = " retry"  # a second attempt's request class: `mail.all retry`; its failures are what users saw
# Made by the session itself, not by an action: judged like the others.
SESSION_REQUESTS = {"http": ("login", "rampup", "config", "logout"), "dav": (), "imap": ("imap.login",), "smtp": ()}


class Session(Strict):
    minutes: float = Field(gt=0, description="how long a user stays signed in before a new session")
    logout_share: float = Field(ge=0, le=1, description="share of sessions that end with a logout (else abandoned)")
    source: str = Field(min_length=1)


class ThinkTime(Strict):
    distribution: Literal["exponential", "constant", "uniform"] = "exponential"


class Action(Strict):
    request: str
    per_hour: float = Field(gt=0, description="how often one signed-in user does this, per hour")
    source: str = Field(min_length=1, description="where the rate comes from, or 'assumption: ...'")


class UserClass(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    protocol: Protocol
    weight: int = Field(ge=1)
    session: Session
    think_time: ThinkTime = ThinkTime()
    actions: list[Action] = Field(min_length=1)

    @model_validator(mode="after")
    def _requests_of_its_protocol(self) -> "UserClass":
        known = REQUESTS[self.protocol]
        wrong = [f"actions[{i}].request: {a.request!r} is not a request of protocol {self.protocol}; use one of {', '.join(known)}"
                 for i, a in enumerate(self.actions) if a.request not in known]
        if wrong:
            raise ValueError("\n".join(wrong))
        return self

    @property
    def actions_per_hour(self) -> float:
        return sum(action.per_hour for action in self.actions)


class Slo(Strict):
    p95_ms: float = Field(gt=0)
    p99_ms: float = Field(gt=0)
    max_error_ratio: float = Field(ge=0, le=1)
    source: str = Field(default="", description="where the limit comes from, or 'assumption: ...'")


class Defaults(Strict):
    users: int = Field(ge=1)
    spawn_rate: float = Field(gt=0)
    duration: float = Field(gt=0, description="seconds")
    speedup: float = Field(default=1, ge=1, description="hours of user behaviour per hour of the run")


class Steps(Strict):
    users: list[int] = Field(min_length=1)
    hold_seconds: float = Field(gt=0)


class LoadProfile(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    defaults: Defaults
    steps: Steps
    classes: list[UserClass] = Field(min_length=1)
    slos: dict[str, Slo]

    @model_validator(mode="after")
    def _slos_name_known_classes(self) -> "LoadProfile":
        problems = []
        if "default" not in self.slos:
            problems.append("slos: no `default` SLO for the request classes not named; add slos.default")
        known = set(self.request_classes()) | {"default"}
        problems += [f"slos.{name}: no user of this profile makes {name!r} requests; remove it or correct it"
                     for name in self.slos if name not in known]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def request_classes(self) -> list[str]:
        names: list[str] = []
        for user in self.classes:
            for name in (*SESSION_REQUESTS[user.protocol], *(action.request for action in user.actions)):
                if name not in names:
                    names.append(name)
        return names

    def slo(self, request: str) -> Slo:
        return self.slos.get(request, self.slos["default"])

    def with_slos(self, overrides: dict[str, dict]) -> "LoadProfile":
        """The profile with a target's own SLOs replacing its own, class by class; a target's SLO for a class
        this profile does not make (a target file serves every profile) is left out."""
        known = {"default", *self.request_classes()}
        slos = {name: Slo(**slo, source="the target file's own SLO") for name, slo in overrides.items() if name in known}
        return self.model_copy(update={"slos": {**self.slos, **slos}}) if slos else self

    def protocols(self) -> set[str]:
        return {user.protocol for user in self.classes}

    def of_protocol(self, protocol: str) -> "LoadProfile":
        """The profile with only its user classes of `protocol` (the sync profile's DAV clients, to load the sync
        pool alone), and the SLOs of their request classes."""
        classes = [user for user in self.classes if user.protocol == protocol]
        if not classes:
            raise ValueError(f"load profile {self.name} has no {protocol} users")
        kept = {request for user in classes for request in (*SESSION_REQUESTS[protocol],
                                                            *(action.request for action in user.actions))}
        return self.model_copy(update={
            "name": f"{self.name}-{protocol}", "classes": classes,
            "description": f"{self.description} ({protocol} users only)",
            "slos": {name: slo for name, slo in self.slos.items() if name == "default" or name in kept}})


def available() -> list[str]:
    return sorted(path.stem for path in resources.loadprofiles_dir().glob("*.yaml"))


def find_profile(name_or_path: str | Path) -> Path:
    """A profile file as given, or the one shipped in loadprofiles/ under that name."""
    return resolve(name_or_path, resources.loadprofiles_dir(), "load profile")


def load_profile(name_or_path: str | Path) -> LoadProfile:
    return validate(LoadProfile, read_yaml(find_profile(name_or_path), example="loadprofiles/webmail.yaml"), "load profile",
                    "correct the keys named above; nothing was started")
