"""One `oxh size` from start to end: points (measured now or read from earlier sweeps), the N+1 proof, the
model, and the sizing folder (sizing.json, design.yaml, plots, the sweep's runs).

A sweep's own record, `sweep.json`, names the topology, the target and the
profiles it was measured on, so that points of different clusters or mixes
are never fitted together.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from harness.backends.target import Target
from harness.load.profile import load_profile
from harness.sizing.errors import SizingError
from harness.sizing.points import CapacityPoint, TierCost, costs_from_json, points_from_json
from harness.sizing.repeats import combine_repeats
from harness.sizing.proof import ProofResult, prove_n_plus_one
from harness.sizing.result import SizingResult, size
from harness.sizing.per_core import PerCoreFit, Workers, fit_per_core
from harness.sizing.step_validation import PointCheck, check_points, with_host_shares
from harness.sizing.sweep import SweepSettings, fitted_settings, requests_per_user_second, run_sweep, sweep_users
from harness.models.sizing import Factor, SizingDesign

if TYPE_CHECKING:
    from harness.sizing.rehearsal_run import Rehearsed

Progress = Callable[[str], None]
SWEEP_FILE = "sweep.json"
REFERENCE_SOFTWARE = ("the reference middleware of ox-harness (Python worker processes, one per core of a node's "
                      "quota), not OX App Suite: "
                      "its node counts are the reference's and demonstrate the method")


@dataclass
class Sweep:
    """Points and costs of one or more sweeps, with where they were measured."""
    points: list[CapacityPoint]
    costs: list[TierCost]
    topology: str
    target: str
    profile: str
    imap_profile: str
    runs: list[dict[str, Any]]
    seconds: float
    proof: ProofResult | None = None
    host_cores: int | None = None  # the cores of the host the sweep ran on, where it says
    software: str = "not recorded by the sweep"  # whose middleware was measured
    workers: Workers = None  # the reference's worker processes per node (its topology's); None: one process each
    folders: list[Path] = field(default_factory=list)  # where its points' own load runs are kept


def sweep_file(run: Path) -> Path:
    return run / "sizing" / "points" / SWEEP_FILE


def measure(target: Target, settings: SweepSettings, folder: Path, progress: Progress, *,
            utilisation: float, proof: bool = True, confirm: str | None = None) -> Sweep:
    """Run the sweep (and the N+1 proof at `utilisation` of the capacity with one node fewer) into
    `folder/points/`; `sweep.json` there records it."""
    started = time.monotonic()
    points_folder = folder / "points"
    settings = fitted_settings(target, settings, progress)
    with sweep_users(target, settings, progress) as accounts:
        found = run_sweep(target, settings, accounts, points_folder, progress)
        sweep = Sweep(found.points, found.costs, target.design, target.name,
                      settings.profile, settings.imap_profile, found.runs, 0.0, host_cores=os.cpu_count(),
                      folders=[points_folder], software=REFERENCE_SOFTWARE if target.kind == "docker" else
                      f"the OX App Suite middleware of {target.name}", workers=target.middleware_workers)
        if proof:  # with the sweep's users: seeded and warm already
            profile = load_profile(settings.profile)
            speedup = settings.speedup["middleware"]
            sweep.proof = prove_n_plus_one(target, profile, combine_repeats(found.points),
                                           requests_per_user_second(profile, speedup), speedup, utilisation,
                                           points_folder / "n-plus-one", progress, confirm, accounts=accounts)
            if sweep.proof is None:
                progress("N+1 proof not made: the sweep measured no pool of 2 or more nodes next to one with a "
                         "node fewer")
    sweep.seconds = time.monotonic() - started
    _write_sweep(sweep, sweep_file(folder.parent))
    return sweep


def _write_sweep(sweep: Sweep, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "topology": sweep.topology, "target": sweep.target, "profile": sweep.profile,
        "imap_profile": sweep.imap_profile, "seconds": round(sweep.seconds, 1), "host_cores": sweep.host_cores,
        "software": sweep.software, "workers": sweep.workers,
        "points": [p.to_dict() for p in sweep.points], "costs": [c.to_dict() for c in sweep.costs],
        "runs": sweep.runs, "proof": sweep.proof.to_dict() if sweep.proof else None}, indent=2))


def read_sweeps(runs: list[Path]) -> Sweep:
    """The points of earlier sweeps; refused when they come from different topologies or profiles."""
    records = []
    for run in runs:
        path = sweep_file(run)
        if not path.is_file():
            raise SizingError(f"{run} holds no capacity sweep ({path.relative_to(run)} is missing)",
                              "give the run of an `oxh size --measure`; a load run's steps are one point, not a sweep")
        try:
            records.append((run, json.loads(path.read_text())))
        except json.JSONDecodeError as exc:
            raise SizingError(f"{path}: not JSON ({exc})", "measure again; the sweep record is damaged") from None
    for key, what in (("topology", "topologies"), ("profile", "load profiles")):
        seen = {record[key] for _, record in records}
        if len(seen) > 1:
            listing = "; ".join(f"{run.name}: {record[key]}" for run, record in records)
            raise SizingError(f"the runs were measured on different {what} ({listing})",
                              "size from runs of one topology and one profile")
    first = records[0][1]
    proofs = [record["proof"] for _, record in records if record.get("proof")]
    return Sweep(
        points=[p for _, record in records for p in points_from_json(record["points"])],
        costs=[c for _, record in records for c in costs_from_json(record["costs"])],
        topology=first["topology"], target=first["target"], profile=first["profile"],
        imap_profile=first.get("imap_profile", "imap"),
        runs=[{**item, "run": run.name} for run, record in records for item in record["runs"]],
        seconds=sum(record.get("seconds", 0) for _, record in records),
        proof=ProofResult(**proofs[-1]) if proofs else None,
        host_cores=first.get("host_cores"), folders=[sweep_file(run).parent for run, _ in records],
        software=first.get("software", "not recorded by the sweep"), workers=first.get("workers"))


def sized_points(sweep: Sweep, checks: list[PointCheck]) -> list[CapacityPoint]:
    """The sweep's points, each with the host's CPU its steps showed (`checks`: check_steps's), so that a point
    that measured the host is left out of the fits; repeated runs of one point as their median
    (harness.sizing.repeats)."""
    return combine_repeats(with_host_shares(sweep.points, checks))


def measured_scaling(design: SizingDesign, points: list[CapacityPoint],
                     workers: Workers = None) -> tuple[SizingDesign, PerCoreFit | str]:
    """The design with a per-core scaling measured on one groupware node's quotas (harness.sizing.per_core), taken
    to the cores of each of its middleware tiers (the software measured, as `workers` processes per node); every
    other tier keeps the demand's factor. Where too few quotas were measured, the design as it is and why."""
    found = fit_per_core(points, "middleware")
    if isinstance(found, str):
        return design, found
    middleware = [name for name, tier in design.tiers.items() if tier.role == "middleware"]
    if not middleware:
        return design, "the design has no middleware tier to scale"
    tiers = {name: tier.model_copy(update={"per_core_scaling": Factor(
                 value=found.scaling(tier.cores, workers=workers), source=found.source(tier.cores, workers),
                 interval=found.scaling_interval(tier.cores, workers))})
             if name in middleware else tier for name, tier in design.tiers.items()}
    return design.model_copy(update={"tiers": tiers}), found


def model(design: SizingDesign, users: int, sweep: Sweep, points: list[CapacityPoint] | None = None) -> SizingResult:
    """The sizing of `users` from `points` (by default the sweep's as recorded, repeats as their median)."""
    design = design.model_copy(update={"users": users})
    return size(design, combine_repeats(sweep.points) if points is None else points, sweep.costs,
                load_profile(sweep.profile))


def check_steps(sweep: Sweep) -> list[PointCheck]:
    """The host's CPU and the queueing model on every step of the sweep's points (harness.sizing.step_validation);
    the host's cores as the sweep recorded them, else this machine's."""
    return check_points(sweep.folders, sweep.runs, sweep.host_cores or os.cpu_count() or 1)


def _design_header(result: SizingResult, sweep: Sweep) -> list[str]:
    return [f"Measured: {sweep.software}, on {sweep.target} (topology {sweep.topology}, "
            f"{sweep.host_cores or 'unrecorded'} host cores).",
            *(f"Beyond the data: {line}." for line in result.beyond_the_data())]


def write_outputs(result: SizingResult, design: SizingDesign, sweep: Sweep, folder: Path,
                  wall_seconds: float, checks: list[PointCheck] | None = None,
                  per_core: PerCoreFit | str | None = None,
                  rehearsal: Rehearsed | None = None) -> dict[str, Any]:
    """sizing.json, design.yaml and the plots into `folder`, and rehearsal.json after a rehearsal (then
    design.yaml holds the smallest counts that hold it); returns what sizing.json holds."""
    from harness.sizing.design_yaml import write_design
    from harness.sizing.plots import plot_all

    folder.mkdir(parents=True, exist_ok=True)
    plots = [path.name for path in plot_all(result, folder)]
    write_design(design.model_copy(update={"users": result.users}), result.tiers, folder / "design.yaml",
                 header=_design_header(result, sweep), smallest=rehearsal.smallest if rehearsal else None)
    if rehearsal:
        (folder / "rehearsal.json").write_text(json.dumps(rehearsal.to_dict(), indent=2))
    record = {**result.to_dict(), "measured_on": {"topology": sweep.topology, "target": sweep.target,
                                                   "profile": sweep.profile, "imap_profile": sweep.imap_profile,
                                                   "software": sweep.software, "host_cores": sweep.host_cores},
              "steps_check": [check.to_dict() for check in checks or []],
              "per_core": (per_core.to_dict() if isinstance(per_core, PerCoreFit)
                           else {"not_done": per_core or "no one-node points were read"}),
              "sweep": {"runs": sweep.runs, "seconds": round(sweep.seconds, 1)},
              "proof": sweep.proof.to_dict() if sweep.proof else None,
              "plots": plots, "design_file": "design.yaml", "wall_seconds": round(wall_seconds, 1)}
    (folder / "sizing.json").write_text(json.dumps(record, indent=2, ensure_ascii=False))
    return record
