"""`oxh`: runs the command the command line names (see harness/cli/arguments.py for every command).

Errors the user can mend print one line (what is wrong, how to mend it) and
exit with code 2; Ctrl-C during `up` removes everything that was started.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Sequence

from rich.console import Console

from harness.cli.arguments import build_parser, check_project
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


def cmd_up(args: argparse.Namespace) -> int:
    from harness.cli.cluster import cmd_up

    return cmd_up(console, err_console, args)


def cmd_down(args: argparse.Namespace) -> int:
    from harness.cli.cluster import cmd_down

    return cmd_down(console, args)


def cmd_status(args: argparse.Namespace) -> int:
    from harness.cli.cluster import cmd_status

    return cmd_status(console, args)


def cmd_images(args: argparse.Namespace) -> int:
    from harness.cli.cluster import cmd_images

    return cmd_images(console, args)


def cmd_validate(args: argparse.Namespace) -> int:
    from harness.cli.validate import cmd_validate

    return cmd_validate(console, err_console, args)


def cmd_bench(args: argparse.Namespace) -> int:
    from harness.cli.bench import run_bench

    return run_bench(console, check_project(args.project), args.topology, cold=args.cold, runs=args.runs)


def cmd_bench_api(args: argparse.Namespace) -> int:
    from harness.cli.bench_api import run_bench_api

    return run_bench_api(console, check_project(args.project), args.seconds, args.workers)


def cmd_bench_generator(args: argparse.Namespace) -> int:
    from harness.cli.bench_generator import run_bench_generator

    return run_bench_generator(console, check_project(args.project), args.seconds, args.users, args.runs)


def cmd_bench_dav(args: argparse.Namespace) -> int:
    from harness.cli.bench_dav import run_bench_dav

    return run_bench_dav(console, check_project(args.project))


def cmd_bench_hung(args: argparse.Namespace) -> int:
    from harness.cli.bench_hung import run_bench_hung

    return run_bench_hung(console, check_project(args.project), args.node, args.runs)


def cmd_qualify(args: argparse.Namespace) -> int:
    from harness.cli.qualify import run_qualify

    return run_qualify(console, project=check_project(args.project), target_file=args.target,
                       topology=args.topology, suites=args.suites, pytest_args=args.pytest_args,
                       confirm=args.confirm, baseline=args.baseline)


def cmd_compare(args: argparse.Namespace) -> int:
    from harness.cli.runs import run_compare

    return run_compare(console, args.run, args.baseline)


def cmd_drill(args: argparse.Namespace) -> int:
    from harness.cli.drill import run_drill

    return run_drill(console, args.target, args.scenario, args.confirm, args.dry_run)


def cmd_doctor(args: argparse.Namespace) -> int:
    from harness.cli.doctor import run_doctor

    return run_doctor(console, args.target)


def cmd_load(args: argparse.Namespace) -> int:
    from harness.cli.load import run_load_command, run_worker
    from harness.load.load_run import LoadOptions

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
    return run_load_command(console, profile_name=args.profile, project=check_project(args.project),
                            target_file=args.target, confirm=args.confirm, options=options, fault=args.fault)


def cmd_size(args: argparse.Namespace) -> int:
    from harness.cli.size import run_size_command

    return run_size_command(console, args, check_project(args.project))


def cmd_report(args: argparse.Namespace) -> int:
    from harness.cli.runs import rerender

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
    "bench-dav": cmd_bench_dav,
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
