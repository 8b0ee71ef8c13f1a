"""`oxh up`, `down`, `status` and `images`: the reference topology's life on this machine's Docker engine."""

from __future__ import annotations

import argparse
import json
import time

from rich.console import Console
from rich.table import Table

from harness.cli.arguments import check_project


def cmd_up(console: Console, err_console: Console, args: argparse.Namespace) -> int:
    from harness.backends.docker.cluster import DockerCluster
    from harness.backends.docker.engine import connect
    from harness.cli.progress import RichReporter
    from harness.models.loader import load

    project = check_project(args.project)
    topology = load(args.topology)
    for warning in topology.warnings():
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    cluster = DockerCluster(project, connect())
    started = time.monotonic()
    with RichReporter(console) as reporter:
        placed = cluster.up(topology, reporter, http_port=args.http_port, build=not args.no_build)
    console.print(f"[bold green]{placed.name} is up[/] as project {project} in {time.monotonic() - started:.1f} s")
    _print_status(console, cluster)
    return 0


def cmd_down(console: Console, args: argparse.Namespace) -> int:
    from harness.backends.docker.cluster import DockerCluster, projects
    from harness.backends.docker.engine import connect

    client = connect()
    names = sorted(projects(client)) if args.all else [check_project(args.project)]
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


def cmd_status(console: Console, args: argparse.Namespace) -> int:
    from harness.backends.docker.cluster import DockerCluster
    from harness.backends.docker.engine import connect

    cluster = DockerCluster(check_project(args.project), connect())
    if args.json:
        nodes = [vars(status) for status in cluster.status()]
        print(json.dumps({"project": cluster.project, "nodes": nodes, "endpoints": cluster.endpoints()}, indent=2))
        return 0 if nodes else 1
    if not cluster.exists():
        console.print(f"project {cluster.project} has no containers (start it with `oxh up --project {cluster.project}`)")
        return 1
    _print_status(console, cluster)
    return 0


def _print_status(console: Console, cluster) -> None:
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


def cmd_images(console: Console, args: argparse.Namespace) -> int:
    from harness.backends.docker.engine import connect
    from harness.backends.docker.images import build_all

    started = time.monotonic()
    timings = build_all(connect(), lambda message: console.print(message), only=args.only)
    for name, seconds in timings.items():
        console.print(f"  {name:<12} {seconds:6.1f} s")
    console.print(f"images built in {time.monotonic() - started:.1f} s")
    return 0
