"""The capacity sweep of `oxh size --measure`: which points to measure, in which order, with which steps.

The groupware pool is measured with 1, 2 and 3 members under the smallest
CPU quota, 1 and 2 under the larger (3 there ran the host to its edge), and
with a fourth under the smallest, where the host has room for it (the point
the fit on the others must predict: harness.sizing.validation),
one groupware node under the larger `core_quotas` too (its per-core
scaling), the sync pool's node under the sync profile's DAV clients alone
(the pool has one node in the sizing topology: its λ per core, not its
scaling over nodes), the mail tier with 1 and 2 Dovecot nodes. Steps are placed around
the throughput a point is expected to carry (nodes × cores × what one core
carried in the points measured so far), so each run brackets its knee
with few steps; the first point starts from a guess and a wider spread.
Test users are provisioned once for the whole sweep, and each signs in
once before the first point (harness.load.warm_up), and over IMAP on every
Dovecot node before the mail tier's first point; a point starts its
users at a rate in proportion to what it is expected to carry, so that
their sign-ins take the same share of every point's capacity. Before every run that
follows runs which sent mail, their mailboxes go back to the seeded
messages: each mail a user sends lands in its own inbox, and a fuller inbox
costs every listing more, so that without it later points would carry a
heavier load than earlier ones.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import median
from typing import Any, Callable, Iterator

from harness.backends.capabilities import CpuLimits
from harness.backends.target import Target
from harness.clients.provisioning import Provisioning
from harness.errors import UserError
from harness.load.accounts import MAX_USERS, SEED_MESSAGES, load_users, restore_mailboxes
from harness.load.load_result import GeneratorFigures
from harness.load.profile import LoadProfile, load_profile
from harness.load.warm_up import warm_up, warm_up_imap
from harness.sizing.measure import POOLS, PointPlan, PointRun, measure_point, node_cores
from harness.sizing.demand import SYNC_PROTOCOL
from harness.sizing.points import CapacityPoint, SloCapacity, TierCost, capacity_at_slo, mix_of

Progress = Callable[[str], None]
SENDING_CLASSES = ("mail.send", "smtp.send")  # request classes whose mail lands in a test user's inbox
SIGN_IN_SECONDS = 8.0  # a point's knee users start within this time (the one-node point at 0.1 core: ~31 at 4/s)
MIN_SPAWN_RATE = 4.0  # users started per second at least
MIN_HOLD = 5.0  # seconds a step is held at least, whatever its tier's share
SYNC_GUESS = 240.0  # DAV req/s per core of the sync pool's node (24 at 0.1 core here); only its first steps use it


@dataclass(frozen=True)
class SweepSettings:
    profile: str = "webmail"
    imap_profile: str = "imap"
    sync_profile: str = "sync"  # its DAV users (CalDAV/CardDAV polls, the EAS handshake) load the sync pool
    quotas: tuple[float, ...] = (0.1, 0.15)  # cores per middleware node
    nodes: tuple[int, ...] = (1, 2, 3)  # groupware members under the smallest quota
    # Under the larger quotas fewer members: 3 at 0.15 core carried the sweep's highest throughput, so the other
    # tiers and the generator beside them ran the host to its edge (70-75 %), and the point measured the host's
    # contention more than the tier's.
    larger_quota_nodes: tuple[int, ...] = (1, 2)
    # One more member under the smallest quota only (the host has no room for it under the larger): the point held
    # out of the fit on the others, so that the USL's contention term is checked; None holds out the largest pool.
    held_out_nodes: int | None = 4
    # One groupware node under these quotas too, for its per-core scaling (harness.sizing.per_core): as far up as
    # a 2-core host carries without becoming the bottleneck itself; with `quotas`, three quotas in all.
    core_quotas: tuple[float, ...] = (0.3,)
    sync_quotas: tuple[float, ...] = (0.1,)  # cores of the sync pool's one node; () leaves the pool unswept
    imap_nodes: tuple[int, ...] = (1, 2)
    imap_quotas: tuple[float, ...] = (0.2, 0.4)  # Dovecot shares its quota with the FUSE NFS client of its mail
    # IMAP operations are cheap: a higher speed-up reaches the mail tier's knee with fewer users.
    speedup: dict[str, float] = field(default_factory=lambda: {"middleware": 60.0, "imap": 480.0, "sync": 240.0})
    hold_seconds: float = 10  # a groupware step's least hold (harness.load.locustfile: up to twice, until settled)
    # The mail tier's and the sync pool's steps, at their fraction of it: IMAP operations and DAV requests come 40–300
    # a second at their knees, so 7 s hold 300 and more, as many as a groupware step of 10 s at its knee.
    hold_share: dict[str, float] = field(default_factory=lambda: {"imap": 0.7, "sync": 0.7})
    repeats: int = 2  # runs per point; the fits take their median (harness.sizing.repeats)
    # Multiples of the expected throughput; the first point, with only a guess, spreads wider. A run ends with
    # its first step over the SLOs, so the top steps cost nothing where the knee comes earlier and save a second
    # attempt where it comes later.
    spread: tuple[float, ...] = (0.6, 0.85, 1.1, 1.4, 1.8, 2.3)
    first_spread: tuple[float, ...] = (0.3, 0.6, 1.0, 1.5, 2.2, 3.2)
    budget_seconds: float = 35 * 60  # past it a point is not measured again with moved steps
    # What one core carried on this kind of machine, at the low end so that a first step never starts past the
    # knee (IMAP ops/s: the sweeps of 2026-12-07 fitted λ of 257–300); only a tier's first steps use it, and a first
    # point's steps start at 0.3 of it. The groupware's (webmail req/s; fitted 150–243) also sets the test users
    # provisioned (PROVISIONED), so it stays low: more users would cost more seeding than its first steps save.
    guess_per_core: dict[str, float] = field(default_factory=lambda: {"middleware": 100.0, "imap": 230.0,
                                                                       "sync": SYNC_GUESS})

    def points(self) -> list[tuple[str, int, float]]:
        """(tier, nodes, cores per node) in the order measured: smallest first, so later steps are well placed."""
        smallest = min(self.quotas)
        middleware = [("middleware", n, q) for q in sorted(self.quotas)
                      for n in sorted(self.nodes if q == smallest else self.larger_quota_nodes)]
        if self.held_out_nodes and self.held_out_nodes not in self.nodes:
            middleware.insert(len(self.nodes), ("middleware", self.held_out_nodes, smallest))
        one_node = [("middleware", 1, q) for q in sorted(set(self.core_quotas) - set(self.quotas))]
        sync = [("sync", 1, q) for q in sorted(self.sync_quotas)]
        imap = [("imap", n, q) for q in sorted(self.imap_quotas) for n in sorted(self.imap_nodes)]
        return middleware + one_node + sync + imap

    def held_out(self, tier: str, nodes: int) -> bool:
        """Whether a point is one the fit on the others predicts: the tier's largest pool, from 3 nodes on."""
        largest = max(n for t, n, _ in self.points() if t == tier)
        return nodes == largest >= 3

    def hold_for(self, tier: str) -> float:
        """How long a step of `tier` is held at least: its share of `hold_seconds`, and never under MIN_HOLD."""
        return max(MIN_HOLD, self.hold_seconds * self.hold_share.get(tier, 1.0))

    def planned_seconds(self) -> float:
        """An upper bound of the sweep's load time: every step of every run, each held at most twice (a run
        that ends at its knee runs fewer)."""
        first = {tier: True for tier, _, _ in self.points()}
        seconds = 0.0
        for tier, _, _ in self.points():
            for _ in range(self.repeats):
                steps = len(self.first_spread if first[tier] else self.spread)
                first[tier] = False
                seconds += steps * 2 * self.hold_for(tier)
        return seconds


def requests_per_user_second(profile: LoadProfile, speedup: float) -> float:
    """What one simulated user sends per second at `speedup`, from the profile's rates and class weights."""
    total_weight = sum(user_class.weight for user_class in profile.classes)
    per_hour = sum(user_class.weight * user_class.actions_per_hour for user_class in profile.classes) / total_weight
    return per_hour * speedup / 3600


def steps_for(expected: float, per_user: float, spread: tuple[float, ...]) -> tuple[int, ...]:
    """Users per step so that the steps' throughput spans `spread` × `expected`."""
    users = sorted({max(2, math.ceil(expected * factor / per_user)) for factor in spread})
    return tuple(min(count, MAX_USERS) for count in users)


# Test users for 2.8 times the guessed throughput; a step above them runs with all of them, and a run whose steps
# all passed up to there is not measured again.
PROVISIONED = 2.8


@dataclass
class SweepResult:
    points: list[CapacityPoint]
    costs: list[TierCost]
    runs: list[dict[str, Any]]  # per point: settings, capacity at SLO, folder
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"points": [point.to_dict() for point in self.points], "costs": [cost.to_dict() for cost in self.costs],
                "runs": self.runs, "seconds": round(self.seconds, 1)}


def _largest_expected(settings: SweepSettings, tier: str) -> float:
    """The highest throughput a step of `tier` may ask for, which sets the test users provisioned: the guess,
    PROVISIONED times over."""
    if tier == "middleware":
        cores = max(max(settings.nodes) * min(settings.quotas),
                    max(settings.larger_quota_nodes) * max(settings.quotas), max(settings.core_quotas, default=0.0),
                    (settings.held_out_nodes or 0) * min(settings.quotas))
    elif tier == "sync":
        cores = max(settings.sync_quotas, default=0.0)
    else:
        cores = max(settings.imap_nodes) * max(settings.imap_quotas)
    return settings.guess_per_core[tier] * PROVISIONED * cores


def _per_core(points: list[CapacityPoint], tier: str, floors: dict[str, float]) -> float | None:
    """What one core of `tier` carried: the median of its points, and at least what a lower bound showed."""
    rates = [p.throughput / (p.nodes * p.cpu_per_node) for p in points if p.tier == tier]
    known = median(rates) if rates else None
    floor = floors.get(tier)
    return known if floor is None else max(known or 0.0, floor)


def _expected(points: list[CapacityPoint], tier: str, nodes: int, quota: float) -> float | None:
    """What an earlier run of the same point carried (the median of its runs), None before its first: a second
    run's steps go around its first run's knee, not around a rate per core that other quotas gave."""
    same = [p.throughput for p in points if (p.tier, p.nodes, p.cpu_per_node) == (tier, nodes, quota)]
    return median(same) if same else None


def moved(expected: float, found: SloCapacity) -> float:
    """The throughput to place the steps of a second attempt around, when the first had no knee inside: lower
    when even the first step failed; when every step passed, above both twice the guess and half again what
    the last step carried."""
    if found.status == "first_step_fails":
        return expected * 0.5
    return max(expected * 2.0, 1.5 * (found.throughput or 0.0))


def point_from_run(measured: PointRun, profile: LoadProfile, run: str,
                   held_out: bool = False) -> tuple[CapacityPoint | None, SloCapacity]:
    """The capacity point of one measured run, or None (with why) when it carries no usable throughput."""
    found = capacity_at_slo(measured.load.steps, profile.slos)
    if found.status != "at_slo":  # no knee inside the steps: a lower bound or nothing, not a capacity
        return None, found
    plan = measured.plan
    point = CapacityPoint(tier=plan.tier, nodes=len(plan.members), cpu_per_node=plan.cores,
                          throughput=round(found.throughput, 2), run=run,
                          generator_bound=not measured.load.generator.kept_up,
                          held_out=held_out,
                          memory_per_session_mib=measured.memory_per_session_mib)
    return point, found


def mails_sent(measured: PointRun) -> int:
    """Mails a run tried to send, each into its sender's own inbox (a failed send may still have landed)."""
    return sum(figures.requests for figures in measured.load.classes if figures.name in SENDING_CLASSES)


def mix_cost(measured: PointRun, run: str, protocol: str = "http") -> TierCost | None:
    """Database and IMAP work per request of the mix of `protocol` during one run."""
    requests = measured.load.requests
    if not requests or not measured.database_work:
        return None
    return TierCost.from_counters(mix_of(protocol), run, requests, database=measured.database_work,
                                  imap_ops=measured.imap_commands)


# The protocol of each swept tier's mix whose cost per request a run measures; Dovecot's runs measure none.
COSTED = {"middleware": "http", "sync": "dav"}


def fitted_settings(target: Target, settings: SweepSettings, progress: Progress) -> SweepSettings:
    """`settings` as `target` can measure them: refused where it gives no node access or too few groupware
    members, the held-out member dropped where the pool lacks it, whole nodes where it sets no CPU quotas."""
    access = target.access
    if access is None:
        raise UserError(f"{target.name} gives no node access", "a sweep narrows pools and sets CPU quotas through "
                                                               "node access: use the reference project or a staging target")
    groupware = access.layout.pool_members(POOLS["middleware"])
    if len(groupware) < max(settings.nodes):
        raise UserError(f"the groupware pool of {target.name} has {len(groupware)} member(s); the sweep measures up "
                        f"to {max(settings.nodes)}", "bring up the `sizing` topology (oxh up --topology sizing) "
                                                     "or lower the node counts")
    if settings.held_out_nodes and len(groupware) < settings.held_out_nodes:
        progress(f"the groupware pool of {target.name} has {len(groupware)} members, not {settings.held_out_nodes}: "
                 f"the fit is checked on the {max(settings.nodes)}-node points instead")
        settings = replace(settings, held_out_nodes=None)
    sync = access.layout.pool_members(POOLS["sync"])
    if settings.sync_quotas and not sync:
        progress(f"{target.name} has no sync pool (oxcluster_sync): the sync pool is not swept")
        settings = replace(settings, sync_quotas=())
    if not isinstance(access, CpuLimits):  # a staging cluster: its nodes as they are, members drained only
        cores = {"middleware": node_cores(access, groupware[0].name),
                 "imap": node_cores(access, access.layout.names("imap")[0])}
        progress(f"{access.description} sets no CPU quotas: measuring whole nodes "
                 f"({cores['middleware']:g} cores groupware, {cores['imap']:g} cores Dovecot)")
        settings = replace(settings, quotas=(cores["middleware"],), core_quotas=(), imap_quotas=(cores["imap"],),
                           sync_quotas=(node_cores(access, sync[0].name),) if settings.sync_quotas else ())
    return settings


def _profiles(settings: SweepSettings) -> dict[str, LoadProfile]:
    """The load profile each swept tier runs: the sync pool's, the sync profile's DAV users alone."""
    return {"middleware": load_profile(settings.profile), "imap": load_profile(settings.imap_profile),
            "sync": load_profile(settings.sync_profile).of_protocol(SYNC_PROTOCOL)}


def _per_user(settings: SweepSettings, profiles: dict[str, LoadProfile]) -> dict[str, float]:
    """What one simulated user of each tier's profile sends per second at the tier's speed-up."""
    return {tier: requests_per_user_second(profile, settings.speedup[tier]) for tier, profile in profiles.items()}


def spawn_rate_for(expected: float, per_user: float) -> float:
    """Users started per second for a point expected to carry `expected`: the users of its knee within
    SIGN_IN_SECONDS, and never slower than MIN_SPAWN_RATE. Sign-ins cost more than the mix; started at a rate in
    proportion to the point's capacity, they take the same share of it on every point, the share the one-node
    point at the smallest quota was tuned at."""
    return max(MIN_SPAWN_RATE, expected / per_user / SIGN_IN_SECONDS)


@contextlib.contextmanager
def sweep_users(target: Target, settings: SweepSettings, progress: Progress) -> Iterator[list[dict[str, str]]]:
    """The sweep's test users, enough for the highest step of any point: provisioned, their mailboxes seeded,
    signed in once (warm caches and mailbox indexes); removed on leaving."""
    endpoints = target.endpoints
    per_user = _per_user(settings, _profiles(settings))
    users = min(MAX_USERS, max(math.ceil(_largest_expected(settings, tier) / per_user[tier]) for tier in per_user))
    progress(f"sweep of {len(settings.points())} points, {settings.repeats} run(s) each, at most "
             f"{settings.planned_seconds() / 60:.0f} min of load (steps held {settings.hold_seconds:g} s, "
             f"{settings.hold_for('imap'):g} s for IMAP and DAV); "
             f"{users} test users")
    provisioning = Provisioning(endpoints.soap_url, endpoints.master, verify=endpoints.tls)
    with load_users(provisioning, users, endpoints.mail_domain, endpoints.smtp, SEED_MESSAGES, progress,
                    imap=endpoints.imap) as accounts:
        warm_up(accounts, endpoints.http_url, endpoints.tls, progress)
        yield accounts


def run_sweep(target: Target, settings: SweepSettings, accounts: list[dict[str, str]], folder: Path,
              progress: Progress) -> SweepResult:
    """Measure every point of `settings` (fitted to the target: `fitted_settings`) with the test users
    `accounts`; each point's run goes into `folder/<point>/`. Their mailboxes are left as the seeding left them."""
    access, endpoints = target.access, target.endpoints
    members_of = {**{tier: [node.name for node in access.layout.pool_members(pool)] for tier, pool in POOLS.items()},
                  "imap": access.layout.names("imap")}
    limit = isinstance(access, CpuLimits)
    profiles = _profiles(settings)
    per_user = _per_user(settings, profiles)
    users = len(accounts)
    started = time.monotonic()
    points: list[CapacityPoint] = []
    floors: dict[str, float] = {}  # per tier: the most one core carried in a run without its knee
    costs: list[TierCost] = []
    runs: list[dict[str, Any]] = []
    plan = settings.points()
    sent = 0  # mails the runs sent since the mailboxes were last restored
    imap_warm = False  # whether the test users signed in on every Dovecot node since their mailboxes changed
    for index, (tier, nodes, quota), repeat in ((i, p, r) for i, p in enumerate(plan, 1)
                                                for r in range(1, settings.repeats + 1)):
        profile = profiles[tier]
        known = _per_core(points, tier, floors)
        expected = _expected(points, tier, nodes, quota) or (known or settings.guess_per_core[tier]) * nodes * quota
        spread = settings.spread if known else settings.first_spread
        members = tuple(members_of[tier][:nodes])
        first: PointRun | None = None  # the first attempt, when there is a second
        for attempt in (1, 2):
            steps = tuple(sorted({min(count, users) for count in steps_for(expected, per_user[tier], spread)}))
            point_plan = PointPlan(tier, members, quota if limit else None, steps, settings.hold_for(tier),
                                   settings.speedup[tier], spawn_rate_for(expected, per_user[tier]),
                                   node_cores=None if limit else quota)
            label = f"[{index}/{len(plan)}] {point_plan.label}" + (
                f" (run {repeat} of {settings.repeats})" if settings.repeats > 1 else "")
            progress(f"{label}: steps of {', '.join(map(str, steps))} users, started {point_plan.spawn_rate:.0f}/s "
                     f"(expecting about {expected:.0f}/s)")
            run_folder = folder / (point_plan.folder_name + ("" if repeat == 1 else f"-run{repeat}")
                                   + ("" if attempt == 1 else "-again"))
            if sent and endpoints.imap:
                restore_mailboxes(accounts, endpoints.imap[0], SEED_MESSAGES, progress)
                sent, imap_warm = 0, False
            if tier == "imap" and not imap_warm:
                warm_up_imap(accounts, endpoints.imap, progress)
                imap_warm = True
            measured = measure_point(target, profile, accounts, point_plan, run_folder, progress)
            ran = [step.users for step in measured.load.steps]
            held_out = settings.held_out(tier, nodes)
            point, found = point_from_run(measured, profile, run_folder.name, held_out)
            if first is not None and point is None:
                # The knee between the two attempts' steps (noise can put it there): judge them together.
                measured = merged(first, measured)
                point, found = point_from_run(measured, profile, run_folder.name, held_out)
            first = measured
            sent += mails_sent(measured)
            # the steps that ran: a run ends with its first step over the SLOs
            runs.append({"tier": tier, "nodes": nodes, "cpu_per_node": quota, "repeat": repeat,
                         "steps": ran, "planned_steps": list(steps), "spawn_rate": round(point_plan.spawn_rate, 1),
                         "folder": run_folder.name, "capacity": found.to_dict(),
                         "generator_bound": measured.load.generator.bound,
                         "invalid": measured.load.generator.invalid})
            progress(f"{label}: {found.note}")
            cost = mix_cost(measured, run_folder.name, COSTED[tier]) if tier in COSTED else None
            if cost is not None:
                costs.append(cost)
            # Once more, with the steps moved, when the knee was not inside them.
            over_budget = time.monotonic() - started > settings.budget_seconds
            if found.status == "at_slo" or attempt == 2 or over_budget or \
                    users in steps and found.status == "lower_bound":
                break
            expected = moved(expected, found)
        if point is not None:
            points.append(point)
        elif found.status == "lower_bound" and found.throughput:
            # Only a point that never found its knee is a floor: a first attempt's lower bound that the
            # second attempt's knee contradicts would place every later point's steps too high.
            floors[tier] = max(floors.get(tier, 0.0), found.throughput / (nodes * quota))
    if sent and endpoints.imap:  # for what runs with the same users next (the N+1 proof)
        restore_mailboxes(accounts, endpoints.imap[0], SEED_MESSAGES, progress)
    result = SweepResult(points, costs, runs, time.monotonic() - started)
    (folder / "sweep.json").write_text(json.dumps(result.to_dict(), indent=2))
    return result


def merged(first: PointRun, second: PointRun) -> PointRun:
    """Two attempts at one point as one run: their steps in order of users, the generator bound or the run
    invalid when either was."""
    one, two = first.load.generator, second.load.generator
    generator = GeneratorFigures(peak_cpu_percent=max(one.peak_cpu_percent or 0.0, two.peak_cpu_percent or 0.0),
                                 bound=one.bound or two.bound, invalid=one.invalid or two.invalid)
    steps = sorted([*first.load.steps, *second.load.steps], key=lambda step: step.users)
    return replace(second, load=second.load.model_copy(update={"steps": steps, "generator": generator}))
