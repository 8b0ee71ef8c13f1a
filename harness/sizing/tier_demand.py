"""Peak demand per design tier in the tier's own units: req/s for the middleware pools and the balancer,
IMAP operations, database queries and writes, filestore operations and MTA submissions per second.

The pools' demand comes from the profile's request mix by protocol (HTTP for the groupware pool, DAV for the
sync pool); the other tiers' from the sweep's measured cost per request of each class (or of the whole mix),
weighted by each class's peak rate. A tier whose demand cannot be known is absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from harness.sizing.demand import PeakDemand
from harness.sizing.points import TierCost, mix_of


@dataclass(frozen=True)
class TierDemand:
    figures: dict[str, float]  # units -> value at peak
    how: str


def _cost_weighted(demand: PeakDemand, costs: Sequence[TierCost], attribute: str,
                   protocols: tuple[str, ...] = ("http", "dav")) -> tuple[float, str] | None:
    """Σ over request classes of peak req/s × the class's cost (or that of the whole mix of its protocol), with
    what it covers."""
    by_request = {cost.request: cost for cost in costs if getattr(cost, attribute) is not None}
    total = covered = 0.0
    missing = []
    for request, rate in demand.per_request.items():
        if demand.protocols[request] not in protocols:
            continue
        cost = by_request.get(request, by_request.get(mix_of(demand.protocols[request])))
        if cost is None:
            missing.append(request)
            continue
        total += rate * getattr(cost, attribute)
        covered += rate
    if not covered:
        return None
    share = covered / (covered + sum(demand.per_request[r] for r in missing))
    how = f"measured cost per request × peak req/s of each class ({share:.0%} of the requests covered"
    return total, how + (f"; no cost for {', '.join(missing)})" if missing else ")")


def tier_demands(demand: PeakDemand, costs: Sequence[TierCost] = ()) -> dict[str, TierDemand]:
    """Peak demand per design tier, in the tier's own units, where it can be known."""
    found: dict[str, TierDemand] = {}
    http = demand.of_protocols("http")
    total_how = "users × session share × requests per session per second × peak factor"
    if http is None:
        found["middleware_groupware"] = TierDemand({"req/s": demand.requests_per_second},
                                                   total_how + " (no profile mix: every request taken as HTTP)")
        found["balancer"] = found["middleware_groupware"]
    else:
        found["middleware_groupware"] = TierDemand({"req/s": http}, total_how + ", the profile's HTTP requests")
        found["balancer"] = TierDemand({"req/s": demand.of_protocols("http", "dav") or 0.0},
                                       total_how + ", every HTTP and DAV request passes the balancer")
        if demand.of_protocols("dav"):
            found["middleware_sync"] = TierDemand({"req/s": demand.of_protocols("dav")},
                                                  total_how + ", the profile's DAV requests (the sync pool's)")
    if not demand.per_request:
        return found
    imap_direct = demand.of_protocols("imap") or 0.0
    imap = _cost_weighted(demand, costs, "imap_ops_per_request")
    if imap or imap_direct:
        value, how = imap or (0.0, "")
        parts = [how] if how else []
        if imap_direct:
            parts.append("plus the profile's own IMAP requests, one operation each")
        found["imap"] = TierDemand({"IMAP ops/s": value + imap_direct}, "; ".join(parts))
    queries, writes = (_cost_weighted(demand, costs, name)
                       for name in ("db_queries_per_request", "db_writes_per_request"))
    if queries or writes:
        figures = {**({"queries/s": queries[0]} if queries else {}), **({"writes/s": writes[0]} if writes else {})}
        found["database"] = TierDemand(figures, (queries or writes)[1])
    filestore = _cost_weighted(demand, costs, "filestore_ops_per_request")
    if filestore:
        found["filestore"] = TierDemand({"filestore ops/s": filestore[0]}, filestore[1])
    sends = sum(rate for request, rate in demand.per_request.items() if request in ("mail.send", "smtp.send"))
    if sends:
        found["mta"] = TierDemand({"messages/s": sends}, "the profile's sends at peak, one submission each")
    return found
