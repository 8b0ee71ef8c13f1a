"""`oxh validate FILE`: a topology, target file or sizing design checked as the command that reads it would."""

from __future__ import annotations

import argparse

from rich.console import Console


def cmd_validate(console: Console, err_console: Console, args: argparse.Namespace) -> int:
    from harness.models.loader import file_kind, load, read_yaml, resolve
    from harness.models.sizing import load_sizing
    from harness.models.target_file import load_target_file

    path = resolve(args.file)
    kind = file_kind(read_yaml(path, example="topologies/ci-small.yaml").data)
    if kind == "sizing design":
        design = load_sizing(path)
        console.print(f"{path}: valid sizing design {design.name} ({design.users:,} users, "
                      f"{sum(tier.count for tier in design.tiers.values())} machines in {len(design.tiers)} tiers)")
    elif kind == "target file":
        file = load_target_file(path)
        console.print(f"{path}: valid target file {file.name} (use: {file.use})")
    else:
        topology = load(path)
        for warning in topology.warnings():
            err_console.print(f"[yellow]warning:[/] {path}: {warning}", highlight=False, soft_wrap=True)
        nodes = sum(1 for _ in topology.nodes())
        console.print(f"{path}: valid topology {topology.name} ({nodes} nodes, pools {', '.join(topology.pools)})")
    return 0
