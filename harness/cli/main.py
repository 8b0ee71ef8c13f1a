"""`oxh`: runs the command the command line names (see harness/cli/arguments.py for every command).

Errors the user can mend print one line (what is wrong, how to mend it) and
exit with code 2; Ctrl-C during `up` removes everything that was started.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import time
from typing import Sequence

from rich.console import Console
from rich.table import Table

from harness.cli.arguments import PROJECT_PATTERN, build_parser
from harness.errors import UserError


# In a log (CI, a pipe) there is no terminal width to respect: keep tables readable.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)


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


def cmd_size(args: argparse.Namespace) -> int:
    from harness.cli.size import run_size_command

    return run_size_command(console, args, _check_project(args.project))


def cmd_report(args: argparse.Namespace) -> int:
    from harness.cli.qualify import rerender

    return rerender(console, args.run)


COMMANDS = {
    "qualify": cmd_qualify,
    "report": cmd_report,
    "doctor": cmd_doctor,
    "load": cmd_load,
    "size": cmd_size,
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
