"""One load run from start to end: test users, the plan, Locust, the figures, the plots, the clean-up.

`run_load` is what `oxh load` and the load suite share. The test users it
provisions are removed when it ends, also on Ctrl-C or an error; what was measured until
then is kept in the run's `load/` folder.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager

from harness.backends.target import Target
from harness.clients.provisioning import Provisioning, ProvisioningError
from harness.errors import UserError
from harness.load.accounts import MAX_USERS, SEED_MESSAGES, load_users
from harness.load.history import History
from harness.load.load_plan import LoadPlan, Shape
from harness.load.load_result import FaultUnderLoad, LoadResult
from harness.load.plots import plot_all
from harness.load.profile import LoadProfile
from harness.load.results import summarize
from harness.load.runner import run_locust
from harness.load.warm_up import warm_up

Progress = Callable[[str], None]
Alongside = Callable[[], ContextManager[Any]]
Judge = Callable[[LoadResult, History], FaultUnderLoad]  # a fault under the load, judged from the run's history


@dataclass(frozen=True)
class LoadOptions:
    shape: Shape = "constant"
    users: int | None = None
    spawn_rate: float | None = None
    duration: float | None = None
    speedup: float | None = None
    workers: int = 1
    master: bool = False  # Locust master for workers on other machines
    expect_workers: int = 0


def users_needed(profile: LoadProfile, options: LoadOptions) -> int:
    if options.shape == "steps" and options.users is None:
        return max(profile.steps.users)
    return options.users or profile.defaults.users


def run_load(target: Target, profile: LoadProfile, options: LoadOptions, folder: Path,
             progress: Progress, alongside: Alongside | None = None, judge: Judge | None = None,
             accounts: list[dict[str, str]] | None = None) -> LoadResult:
    """Run `profile` against the target; results.json, Locust's files and the plots go into `folder`.
    `alongside()` is entered once Locust has started and left when it ends (a fault under load, say), and
    `judge` judges it from the run's per-second history before the result is written. Test users are
    provisioned and seeded for the run and removed after it, unless `accounts` gives users already made
    (at least as many as the run needs; the first of them run)."""
    endpoints = target.endpoints
    profile = profile.with_slos(target.policy.load_slos)
    count = users_needed(profile, options)
    if count > MAX_USERS:
        raise UserError(f"{count} users asked for; one run provisions at most {MAX_USERS}",
                        "lower --users (or the profile's steps), or raise --speedup to stand for more users")
    if options.workers < 1:
        raise UserError(f"--workers {options.workers}: at least one worker", "give --workers 1 or more")
    if accounts is not None and len(accounts) < count:
        raise ValueError(f"{count} users needed, {len(accounts)} given")
    provisioning = Provisioning(endpoints.soap_url, endpoints.master, verify=endpoints.tls)
    users = contextlib.nullcontext(accounts[:count]) if accounts is not None else load_users(
        provisioning, count, endpoints.mail_domain, endpoints.smtp, SEED_MESSAGES, progress, imap=endpoints.imap)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return _run(target, profile, options, folder, progress, users, count, alongside, judge)
    except ProvisioningError as exc:
        raise UserError(f"cannot provision or remove the load run's test users on {target.name}: {exc}",
                        "check SOAP provisioning (the functional suite's PROV requirement) and run again") from None


def _run(target: Target, profile: LoadProfile, options: LoadOptions, folder: Path,
         progress: Progress, users: ContextManager[list[dict[str, str]]], count: int, alongside: Alongside | None,
         judge: Judge | None) -> LoadResult:
    endpoints = target.endpoints
    with users as accounts:
        if options.shape == "steps":  # a stepped run measures capacity: its first step must not find them cold
            warm_up(accounts, endpoints.http_url, endpoints.tls, progress)
        steps = [min(level, count) for level in profile.steps.users] if options.shape == "steps" else []
        plan = LoadPlan(
            profile=profile, http_url=endpoints.http_url, verify_tls=endpoints.tls is not False,
            imap=endpoints.imap, smtp=endpoints.smtp, accounts=accounts, shape=options.shape, users=count,
            spawn_rate=options.spawn_rate or profile.defaults.spawn_rate,
            duration=options.duration or profile.defaults.duration, steps=steps,
            hold_seconds=profile.steps.hold_seconds, speedup=options.speedup or profile.defaults.speedup,
            output=str(folder))
        progress(f"running {profile.name} ({options.shape}, {count} users, speed-up {plan.speedup:g}) "
                 f"for at most {plan.planned_seconds():.0f} s")
        run = run_locust(plan, folder, target.access, progress, workers=options.workers, master=options.master,
                         expect_workers=options.expect_workers, alongside=alongside)
    plots = [path.name for path in plot_all(run.prefix, run.samples, folder)]
    result = summarize(run, plan, profile, workers=options.workers, plots=plots)
    if judge is not None:
        result.fault = judge(result, result.history)
    run.samples.write_csv(folder / "resources.csv")
    (folder / "results.json").write_text(result.to_json())
    return result
