"""Peak demand of a design's users, every factor from the design file with its source.

    peak req/s = users × peak session share × requests per session per second × peak factor

Requests per session per second is a figure in the design or comes from a
load profile: per user class (weighted), the actions' rates per hour plus the
session's own requests (sign-in requests once per session of `minutes`,
logout in `logout_share` of them), divided by 3600. The profile's mix also
splits the peak into request classes, which the costs per request turn into
demand on the other tiers.

A design with sync clients adds their requests to the classes: users × the
share of sync clients × the DAV requests per client per second of their
profile × the peak factor. They reach the sync pool, not the groupware pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.load.profile import SESSION_REQUESTS, LoadProfile, load_profile
from harness.sizing.errors import SizingError
from harness.models.sizing import Factor, SizingDesign

HOUR = 3600.0
SYNC_PROTOCOL = "dav"  # the sync pool's clients in a load profile: CalDAV/CardDAV and the EAS handshake


@dataclass(frozen=True)
class Sourced:
    """A figure of the design and where it comes from."""

    name: str
    value: float
    source: str

    @property
    def is_assumption(self) -> bool:
        return "assumption" in self.source.lower()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "source": self.source, "assumption": self.is_assumption}


def request_mix(profile: LoadProfile) -> dict[str, tuple[str, float]]:
    """Request class -> (protocol, requests per live session per second) of the profile's users."""
    total_weight = sum(user.weight for user in profile.classes)
    mix: dict[str, tuple[str, float]] = {}

    def add(request: str, protocol: str, per_hour: float) -> None:
        mix[request] = (protocol, mix.get(request, (protocol, 0.0))[1] + per_hour / HOUR)

    for user in profile.classes:
        share = user.weight / total_weight
        sessions_per_hour = 60 / user.session.minutes
        for action in user.actions:
            add(action.request, user.protocol, share * action.per_hour)
        for request in SESSION_REQUESTS[user.protocol]:
            ends = user.session.logout_share if request == "logout" else 1.0
            add(request, user.protocol, share * sessions_per_hour * ends)
    return mix


def requests_per_session_per_second(profile: LoadProfile) -> float:
    return sum(rate for _, rate in request_mix(profile).values())


@dataclass(frozen=True)
class PeakDemand:
    users: int
    # peak_session_share, requests_per_session_per_second, peak_factor; the sync clients' share and rate
    factors: tuple[Sourced, ...]
    per_request: dict[str, float] = field(default_factory=dict)  # request class -> req/s at peak
    protocols: dict[str, str] = field(default_factory=dict)  # request class -> protocol
    profile: str | None = None

    def factor(self, name: str) -> float:
        return next(f.value for f in self.factors if f.name == name)

    @property
    def sessions(self) -> float:
        return self.users * self.factor("peak_session_share")

    @property
    def requests_per_second(self) -> float:
        """The signed-in users' requests at peak (the sync clients' aside)."""
        return self.sessions * self.factor("requests_per_session_per_second") * self.factor("peak_factor")

    @property
    def sync_clients(self) -> float | None:
        """Sync clients polling at peak; None when the design has none."""
        shares = [f.value for f in self.factors if f.name == "sync_client_share"]
        return self.users * shares[0] if shares else None

    def of_protocols(self, *protocols: str) -> float | None:
        """Peak req/s of the request classes of these protocols; None without a profile mix."""
        if not self.per_request:
            return None
        return sum(rate for request, rate in self.per_request.items() if self.protocols[request] in protocols)

    def to_dict(self) -> dict[str, Any]:
        return {"users": self.users, "profile": self.profile, "sessions": self.sessions,
                "requests_per_second": self.requests_per_second, "sync_clients": self.sync_clients,
                "sync_requests_per_second": self.of_protocols(SYNC_PROTOCOL) if self.sync_clients else None,
                "factors": [factor.to_dict() for factor in self.factors],
                "per_request": dict(self.per_request)}


def _profile_for(design: SizingDesign, profile: LoadProfile | None) -> LoadProfile | None:
    wanted = design.demand.requests_per_session_per_second.from_profile
    if wanted is None or (profile is not None and profile.name == wanted):
        return profile
    if profile is not None:
        raise SizingError(
            f"the design's demand comes from load profile {wanted!r} but the capacity was measured with "
            f"{profile.name!r}: the throughput of one mix says nothing about another",
            f"measure with --profile {wanted}, or give demand.requests_per_session_per_second.value in the design")
    return load_profile(wanted)


def peak_demand(design: SizingDesign, profile: LoadProfile | None = None) -> PeakDemand:
    """The design's peak demand; with a profile (the design's own, or the measured one when the design
    gives a figure) it is split into request classes by the profile's mix."""
    profile = _profile_for(design, profile)
    rate = design.demand.requests_per_session_per_second
    mix = request_mix(profile) if profile is not None else {}
    per_session = rate.value if rate.value is not None else sum(r for _, r in mix.values())
    factors = (
        Sourced("peak_session_share", design.demand.peak_session_share.value, design.demand.peak_session_share.source),
        Sourced("requests_per_session_per_second", per_session, rate.source),
        Sourced("peak_factor", design.demand.peak_factor.value, design.demand.peak_factor.source),
    )
    mix_total = sum(r for _, r in mix.values())
    demand = PeakDemand(design.users, factors, profile=profile.name if profile else None)
    if not mix_total:
        return demand
    per_request = {request: demand.requests_per_second * r / mix_total for request, (_, r) in mix.items()}
    protocols = {request: p for request, (p, _) in mix.items()}
    sync = sync_demand(design)
    if sync is not None:
        sync_factors, sync_rates = sync
        factors += sync_factors
        for request, rate in sync_rates.items():
            per_request[request] = per_request.get(request, 0.0) + rate
            protocols[request] = SYNC_PROTOCOL
    return PeakDemand(design.users, factors, per_request, protocols, demand.profile)


def sync_demand(design: SizingDesign) -> tuple[tuple[Sourced, ...], dict[str, float]] | None:
    """The sync clients' factors and their peak req/s per request class, None when the design has none:

        users × sync client share × the profile's DAV requests per client per second × peak factor

    Only the profile's DAV users count: its IMAP and SMTP users are desktop mail clients, not sync clients."""
    clients = design.demand.sync_clients
    if clients is None:
        return None
    try:
        profile = load_profile(clients.from_profile).of_protocol(SYNC_PROTOCOL)
    except ValueError as exc:
        raise SizingError(f"demand.sync_clients.from_profile: {exc}",
                          "name a profile with DAV users, such as sync") from None
    mix = request_mix(profile)
    per_client = sum(rate for _, rate in mix.values())
    peak = design.users * clients.share.value * design.demand.peak_factor.value
    factors = (Sourced("sync_client_share", clients.share.value, clients.share.source),
               Sourced("sync_requests_per_client_per_second", per_client,
                       f"loadprofiles/{clients.from_profile}.yaml, its DAV users: {clients.source}"))
    return factors, {request: peak * rate for request, (_, rate) in mix.items()}


def design_factors(design: SizingDesign) -> tuple[Sourced, ...]:
    """The planning factors of the design besides the demand: utilisation, per-core scaling (the demand's, and
    each tier's own where one was measured or given), memory base."""
    demand, own = design.demand, own_scalings(design)
    general = demand.per_core_scaling
    return (Sourced("target_utilisation", demand.target_utilisation.value, demand.target_utilisation.source),
            Sourced("per_core_scaling", general.value,
                    general.source + (" (for every tier without its own)" if own else "")),
            *(Sourced(f"per_core_scaling ({', '.join(names)})", factor.value, factor.source) for factor, names in own),
            Sourced("memory_base_gib", demand.memory_base_gib.value, demand.memory_base_gib.source))


def own_scalings(design: SizingDesign) -> list[tuple[Factor, list[str]]]:
    """The tiers' own per-core scalings, each with the tiers that share it."""
    found: dict[tuple[float, str], tuple[Factor, list[str]]] = {}
    for name, tier in design.tiers.items():
        if factor := tier.per_core_scaling:
            found.setdefault((factor.value, factor.source), (factor, []))[1].append(name)
    return list(found.values())
