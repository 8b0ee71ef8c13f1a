"""`oxh`: bring the reference topology up, report its state, tear it down, benchmark it.

Errors the user can mend print one line (what is wrong, how to mend it) and
exit with code 2; Ctrl-C during `up` removes everything that was started.
"""

from __future__ import annotations

import argparse
import re
import json
import os
import signal
import sys
import time
from typing import Sequence

from rich.console import Console
from rich.table import Table

from harness import __version__
from harness.errors import UserError

DEFAULT_PROJECT = os.environ.get("OXH_PROJECT", "oxh")
PROJECT_PATTERN = r"^[a-z][a-z0-9-]{0,30}$"

# In a log (CI, a pipe) there is no terminal width to respect: keep tables readable.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oxh",
        description=(
            "ox-harness: bring up a scaled-down OX App Suite HA cluster in containers "
            "(balancer pair with VIP, middleware nodes, MariaDB master-master, NFS, Dovecot, Postfix) "
            "and qualify it."
        ),
        epilog="Run `oxh COMMAND --help` for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def with_project(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument(
            "--project",
            default=DEFAULT_PROJECT,
            help=f"name of this copy of the topology; two projects run side by side (default: {DEFAULT_PROJECT}, or $OXH_PROJECT)",
        )
        return sub

    up = with_project(commands.add_parser("up", help="build the images and start the topology, wait until all is healthy"))
    up.add_argument("--topology", default="ci-small", help="topology name in topologies/ or a file (default: ci-small)")
    up.add_argument("--http-port", type=int, help="host port on 127.0.0.1 for the balancer VIP (default: a free one)")
    up.add_argument("--no-build", action="store_true", help="use the images as they are, do not rebuild")

    down = with_project(commands.add_parser("down", help="remove every container, network and volume of the project"))
    down.add_argument("--all", action="store_true", help="remove every ox-harness project on this engine")

    status = with_project(commands.add_parser("status", help="show each node: role, container, address, state, health"))
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")

    image_cmd = commands.add_parser("images", help="manage the locally built images")
    image_sub = image_cmd.add_subparsers(dest="images_command", metavar="ACTION", required=True)
    build = image_sub.add_parser("build", help="build the Debian base (debootstrap) and every role image")
    build.add_argument("--only", nargs="+", metavar="IMAGE", help="build only these images (e.g. middleware)")

    validate = commands.add_parser(
        "validate", help="check a topology, target file or sizing design without starting anything",
        description="Check a file the way `oxh up`, `oxh qualify --target` or `oxh size` would read it; the kind "
                    "is taken from its content (a sizing design has users and tiers, a target file kind: remote). "
                    "Each problem names the file, line and column, and the key path. Exit code 2 when it is wrong.")
    validate.add_argument("file", help="a file, or the name of one shipped in topologies/ (ci-small, reference-1m)")

    bench = with_project(commands.add_parser("bench", help="print wall times of up (warm/cold) and down, and idle memory"))
    bench.add_argument("--topology", default="ci-small", help="topology to measure (default: ci-small)")
    bench.add_argument("--cold", action="store_true", help="also measure a cold start: remove the role images first")
    bench.add_argument("--runs", type=int, default=1, help="warm up/down cycles to measure (median is printed)")
    qualify = with_project(commands.add_parser(
        "qualify", help="run the suites against the reference topology (brought up if needed) or a target file",
        description="Run every suite (or those named) against the target and judge the run against the required "
                    "set of its kind: QUALIFIED only when every required requirement ran and passed; NOT QUALIFIED "
                    "names each failure and each required requirement not run, with the reason; a run narrowed with "
                    "--suites or pytest selection is PARTIAL and qualifies nothing."))
    qualify.add_argument("--target", metavar="FILE", help="target file of kind remote (default: the reference project)")
    qualify.add_argument("--topology", default="ci-small", help="topology to bring up when the project is not running")
    qualify.add_argument("--suites", nargs="+", default=None, metavar="SUITE",
                         help="run only these suites: the verdict is then PARTIAL (default: every suite)")
    qualify.add_argument("--confirm", metavar="TARGET_NAME",
                         help="say yes to the failover suite's faults on a staging target by naming it")
    qualify.add_argument("--baseline", metavar="RUN",
                         help="compare with this earlier run and fail on a regression (see oxh compare)")
    qualify.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARG",
                         help="further pytest arguments after --, e.g. -- -k sessions (selection makes it PARTIAL)")

    compare = commands.add_parser(
        "compare", help="compare a run's figures with a baseline run and flag regressions",
        description="Failover downtime per scenario, test durations, load percentiles and throughput and browser "
                    "timings of RUN against BASELINE (default: the newest earlier run on the same target that "
                    "qualified). A figure regressed when it is worse by more than both its relative and absolute "
                    "tolerance (printed beside it). Exit code 1 on a regression.")
    compare.add_argument("run", help="run id (a folder under reports/) or a path")
    compare.add_argument("baseline", nargs="?", help="run id or path of the baseline")

    from harness.scenario.named import SCENARIOS

    drill = commands.add_parser(
        "drill", help="run one failover scenario on a staging cluster (guarded)",
        description="Inject one failover scenario's fault into a staging cluster over SSH while test users work, "
                    "heal it, and judge downtime and lost data. Refused unless the target file is marked "
                    "`use: staging` and --confirm names it; --dry-run shows every command first.")
    drill.add_argument("--target", metavar="FILE", required=True, help="target file marked `use: staging`")
    drill.add_argument("--scenario", required=True, metavar="NAME", help=f"one of: {', '.join(SCENARIOS)}")
    drill.add_argument("--confirm", metavar="TARGET_NAME", help="the target's name, to say yes to injecting faults")
    drill.add_argument("--dry-run", action="store_true", help="print the plan (fault, nodes, commands); touch nothing")

    doctor = commands.add_parser(
        "doctor", help="print what this machine has and lacks for each use, with the mend",
        description="One table: Python, the Docker engine, debootstrap and the fault tools (reference topology), "
                    "the OX API spec and a target's endpoints (acceptance runs), SSH (drills), chromium (browser "
                    "suite). Changes nothing. Exit code 1 when something is missing.")
    doctor.add_argument("--target", metavar="FILE", help="also try every endpoint this target file names")

    load = with_project(commands.add_parser(
        "load", help="run a load profile through Locust and print throughput, percentiles and CPU per tier",
        description="Provision test users for the run, drive the target with Locust (out of process) on a profile "
                    "of loadprofiles/ (webmail, groupware, sync, smoke, or a file), sample CPU and memory per node "
                    "every second, and write reports/<run-id>/load/ (Locust's CSVs, results.json, plots). Exit code "
                    "0 when every request class met its SLO and the generator kept up. A remote target must say "
                    "`load: allowed` and be named with --confirm."))
    load.add_argument("--profile", default="webmail", help="profile name or file (default: webmail)")
    load.add_argument("--target", metavar="FILE", help="target file (default: the reference project)")
    load.add_argument("--confirm", metavar="TARGET_NAME", help="say yes to load on a remote target by naming it")
    load.add_argument("--users", type=int, help="users of a constant or soak run (default: the profile's)")
    load.add_argument("--spawn-rate", type=float, help="users started per second (default: the profile's)")
    load.add_argument("--duration", type=float, help="seconds of a constant or soak run (default: the profile's)")
    load.add_argument("--shape", choices=("constant", "steps", "soak"), default="constant",
                      help="constant users; steps: the profile's steps, each held until throughput is steady; soak")
    load.add_argument("--speedup", type=float, help="hours of user behaviour per hour of run (default: the profile's)")
    load.add_argument("--fault", metavar="SCENARIO@SECONDS",
                      help=f"inject a failover scenario that many seconds into the run (one of: {', '.join(SCENARIOS)})")
    load.add_argument("--workers", type=int, default=1, help="local Locust worker processes under a master "
                                                             "(Locust's --processes; one per core)")
    load.add_argument("--master", action="store_true", help="be a Locust master for workers on other machines")
    load.add_argument("--expect-workers", type=int, default=1, help="with --master: workers to wait for")
    load.add_argument("--worker", action="store_true", help="be a worker of a master on another machine")
    load.add_argument("--master-host", help="with --worker: the master's address")
    load.add_argument("--plan", metavar="FILE", help="with --worker: the master's load/plan.json")

    report = commands.add_parser("report", help="render the HTML report of a run folder again")
    report.add_argument("run", help="run id (a folder under reports/) or a path")

    bench_api = with_project(commands.add_parser(
        "bench-api", help="print req/s and p50/p95 of API calls through the balancer of a running project"))
    bench_api.add_argument("--seconds", type=float, default=10.0, help="duration of each measurement (default: 10)")
    bench_api.add_argument("--workers", type=int, default=16, help="concurrent requests when saturating (default: 16)")
    bench_generator = with_project(commands.add_parser(
        "bench-generator", help="print req/s and requests per generator CPU-second, bare Locust vs oxh load",
        description="Bare Locust (a FastHttpUser fetching the balancer's static start page without think time) "
                    "against oxh load's webmail users without think time on a running project: req/s and requests "
                    "per CPU-second of the generator, and their ratio (medians)."))
    bench_generator.add_argument("--seconds", type=float, default=20.0, help="length of each run (default: 20)")
    bench_generator.add_argument("--users", type=int, default=20, help="Locust users (default: 20)")
    bench_generator.add_argument("--runs", type=int, default=3, help="runs of each (median is printed)")
    bench_hung = with_project(commands.add_parser(
        "bench-hung", help="print how long a paused middleware node goes unnamed by the pool check and the balancers",
        description="Pause a groupware node of a running project and print the seconds until the pool check "
                    "(BAL-ANSWER) names it and until the balancers' member watch takes it out; medians over runs."))
    bench_hung.add_argument("--node", help="the groupware node to pause (default: the first)")
    bench_hung.add_argument("--runs", type=int, default=3, help="pauses to measure (default: 3)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return COMMANDS[args.command](args)
    except UserError as exc:
        # soft_wrap: a problem line (file:line:column: key: what) stays one line, whatever the width
        err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        if exc.hint:
            err_console.print(f"[bold]fix:[/] {exc.hint}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _check_project(name: str) -> str:
    if not re.match(PROJECT_PATTERN, name):
        raise UserError(
            f"project name {name!r} is not valid",
            "use lower-case letters, digits and '-', starting with a letter, at most 31 characters",
        )
    return name


def cmd_up(args: argparse.Namespace) -> int:
    from harness.backends.docker.cluster import DockerCluster
    from harness.backends.docker.engine import connect
    from harness.cli.progress import RichReporter
    from harness.topology.loader import load

    project = _check_project(args.project)
    topology = load(args.topology)
    for warning in topology.warnings():
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    cluster = DockerCluster(project, connect())
    started = time.monotonic()
    with RichReporter(console) as reporter:
        placed = cluster.up(topology, reporter, http_port=args.http_port, build=not args.no_build)
    console.print(f"[bold green]{placed.name} is up[/] as project {project} in {time.monotonic() - started:.1f} s")
    _print_status(cluster)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from harness.backends.docker.cluster import DockerCluster, projects
    from harness.backends.docker.engine import connect

    client = connect()
    names = sorted(projects(client)) if args.all else [_check_project(args.project)]
    for name in names:
        started = time.monotonic()
        cluster = DockerCluster(name, client)
        removed = cluster.down()
        cluster.state.forget()
        console.print(f"project {name}: removed {removed} container(s) in {time.monotonic() - started:.1f} s")
        for leftover in cluster.leftovers:
            console.print(f"[yellow]warning:[/] {leftover}")
    if not names:
        console.print("no ox-harness project is running")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from harness.backends.docker.cluster import DockerCluster
    from harness.backends.docker.engine import connect

    cluster = DockerCluster(_check_project(args.project), connect())
    if args.json:
        nodes = [vars(status) for status in cluster.status()]
        print(json.dumps({"project": cluster.project, "nodes": nodes, "endpoints": cluster.endpoints()}, indent=2))
        return 0 if nodes else 1
    if not cluster.exists():
        console.print(f"project {cluster.project} has no containers (start it with `oxh up --project {cluster.project}`)")
        return 1
    _print_status(cluster)
    return 0


def _print_status(cluster) -> None:
    table = Table(title=f"project {cluster.project}", title_justify="left")
    for column in ("role", "node", "container", "address", "state", "health", "published", "VIP"):
        table.add_column(column)
    for status in cluster.status():
        health = status.health
        style = "green" if health == "healthy" else "red"
        ports = ", ".join(f"{p}→127.0.0.1:{h}" for p, h in status.ports.items())
        table.add_row(
            status.role,
            status.node,
            status.container,
            status.address,
            status.state,
            f"[{style}]{health}[/]",
            ports,
            ", ".join(status.holds_vip),
        )
    console.print(table)
    http = cluster.endpoints().get("http")
    if http:
        console.print(f"OX App Suite through the balancer VIP: {http}/appsuite/")


def cmd_images(args: argparse.Namespace) -> int:
    from harness.backends.docker.engine import connect
    from harness.backends.docker.images import build_all

    started = time.monotonic()
    timings = build_all(connect(), lambda message: console.print(message), only=args.only)
    for name, seconds in timings.items():
        console.print(f"  {name:<12} {seconds:6.1f} s")
    console.print(f"images built in {time.monotonic() - started:.1f} s")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from harness.topology.loader import file_kind, load, read_yaml, resolve
    from harness.topology.sizing import load_sizing
    from harness.topology.target import load_target

    path = resolve(args.file)
    kind = file_kind(read_yaml(path, example="topologies/ci-small.yaml").data)
    if kind == "sizing design":
        design = load_sizing(path)
        console.print(f"{path}: valid sizing design {design.name} ({design.users:,} users, "
                      f"{sum(tier.count for tier in design.tiers.values())} machines in {len(design.tiers)} tiers)")
    elif kind == "target file":
        target = load_target(path)
        console.print(f"{path}: valid target file {target.name} (use: {target.use})")
    else:
        topology = load(path)
        for warning in topology.warnings():
            err_console.print(f"[yellow]warning:[/] {path}: {warning}", highlight=False, soft_wrap=True)
        nodes = sum(1 for _ in topology.nodes())
        console.print(f"{path}: valid topology {topology.name} ({nodes} nodes, pools {', '.join(topology.pools)})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from harness.cli.bench import run_bench

    return run_bench(console, _check_project(args.project), args.topology, cold=args.cold, runs=args.runs)


def cmd_bench_api(args: argparse.Namespace) -> int:
    from harness.cli.bench_api import run_bench_api

    return run_bench_api(console, _check_project(args.project), args.seconds, args.workers)


def cmd_bench_generator(args: argparse.Namespace) -> int:
    from harness.cli.bench_generator import run_bench_generator

    return run_bench_generator(console, _check_project(args.project), args.seconds, args.users, args.runs)


def cmd_bench_hung(args: argparse.Namespace) -> int:
    from harness.cli.bench_hung import run_bench_hung

    return run_bench_hung(console, _check_project(args.project), args.node, args.runs)


def cmd_qualify(args: argparse.Namespace) -> int:
    from harness.cli.qualify import run_qualify

    return run_qualify(console, project=_check_project(args.project), target_file=args.target,
                       topology=args.topology, suites=args.suites, pytest_args=args.pytest_args,
                       confirm=args.confirm, baseline=args.baseline)


def cmd_compare(args: argparse.Namespace) -> int:
    from harness.cli.qualify import run_compare

    return run_compare(console, args.run, args.baseline)


def cmd_drill(args: argparse.Namespace) -> int:
    from harness.cli.drill import run_drill

    return run_drill(console, args.target, args.scenario, args.confirm, args.dry_run)


def cmd_doctor(args: argparse.Namespace) -> int:
    from harness.cli.doctor import run_doctor

    return run_doctor(console, args.target)


def cmd_load(args: argparse.Namespace) -> int:
    from harness.cli.load import run_load_command, run_worker
    from harness.load.session import LoadOptions

    if args.worker:
        if not args.master_host:
            raise UserError("--worker needs --master-host", "give the address of the machine running --master")
        return run_worker(console, args.master_host, args.plan)
    for name in ("users", "spawn_rate", "duration", "speedup"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise UserError(f"--{name.replace('_', '-')} {value:g}: must be positive", "give a number above 0")
    options = LoadOptions(shape=args.shape, users=args.users, spawn_rate=args.spawn_rate, duration=args.duration,
                          speedup=args.speedup, workers=args.workers, master=args.master,
                          expect_workers=args.expect_workers)
    return run_load_command(console, profile_name=args.profile, project=_check_project(args.project),
                            target_file=args.target, confirm=args.confirm, options=options, fault=args.fault)


def cmd_report(args: argparse.Namespace) -> int:
    from harness.cli.qualify import rerender

    return rerender(console, args.run)


COMMANDS = {
    "qualify": cmd_qualify,
    "report": cmd_report,
    "doctor": cmd_doctor,
    "load": cmd_load,
    "compare": cmd_compare,
    "drill": cmd_drill,
    "bench-api": cmd_bench_api,
    "bench-hung": cmd_bench_hung,
    "bench-generator": cmd_bench_generator,
    "up": cmd_up,
    "down": cmd_down,
    "status": cmd_status,
    "images": cmd_images,
    "validate": cmd_validate,
    "bench": cmd_bench,
}

if __name__ == "__main__":
    sys.exit(main())
