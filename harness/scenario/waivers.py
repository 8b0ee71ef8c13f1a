"""Waivers: the limits a target or topology file sets looser than the HA design's, named, never silent.

A file may give its own failover thresholds (`failover_thresholds`) and
load SLOs (`load_slos`). Stricter than the design is the file's business;
looser is a waiver that the verdict carries beside it ("QUALIFIED with 2
waivers: ..."), in the console, the report's first screen, run.json and
results.json. Limits on data loss (acknowledged writes, sent mail, uploaded
files) cannot be loosened at all: the file models refuse them.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Iterable

from harness.load.profile import LoadProfile
from harness.scenario.named import SCENARIOS, Thresholds

UNITS = {"max_lost_sessions": "session(s)"}
SLO_UNITS = {"p95_ms": "ms", "p99_ms": "ms", "max_error_ratio": ""}


def failover_waivers(overrides: dict[str, dict]) -> list[str]:
    """One line per threshold a file sets above its scenario's design value."""
    lines = []
    for scenario, values in sorted(overrides.items()):
        named = SCENARIOS.get(scenario)
        if named is None:
            continue
        for item in fields(Thresholds):
            if item.name not in values:
                continue
            design, value = getattr(named.thresholds, item.name), values[item.name]
            if design is not None and value > design:
                unit = UNITS.get(item.name, "s")
                lines.append(f"failover {scenario}: {item.name} {value:g} {unit} instead of the design's {design:g} {unit}")
    return lines


def slo_waivers(overrides: dict[str, dict], profiles: Iterable[LoadProfile]) -> list[str]:
    """One line per load SLO a file sets looser than the strictest shipped profile that has the request class."""
    profiles = list(profiles)
    lines = []
    for request, slo in sorted(overrides.items()):
        having = [p for p in profiles if request == "default" or request in p.request_classes()]
        for key, unit in SLO_UNITS.items():
            if key not in slo or not having:
                continue
            strictest = min(having, key=lambda p: getattr(p.slo(request), key))
            design = getattr(strictest.slo(request), key)
            if slo[key] > design:
                lines.append(f"load SLO {request}: {key} {slo[key]:g}{unit and ' ' + unit} instead of the design's "
                             f"{design:g}{unit and ' ' + unit} (profile {strictest.name})")
    return lines


def waivers_of(thresholds: dict[str, dict], load_slos: dict[str, dict],
               profiles: Iterable[LoadProfile] | None = None) -> list[str]:
    """Every waiver of a target's policy; `profiles` defaults to the shipped load profiles."""
    if profiles is None:
        from harness.load.profile import available, load_profile

        profiles = [load_profile(name) for name in available()]
    return failover_waivers(thresholds) + slo_waivers(load_slos, profiles)
