"""The `oxh` command line: every command, its options and their help, as argparse declares them.

`harness.cli.main` parses with `build_parser()` and runs the command named.
"""

from __future__ import annotations

import argparse
import os
import re

from harness import __version__
from harness.durations import EXAMPLES, parse_duration
from harness.errors import UserError

DEFAULT_PROJECT = os.environ.get("OXH_PROJECT", "oxh")
PROJECT_PATTERN = r"^[a-z][a-z0-9-]{0,30}$"


# Per command, the examples its --help ends with.
EXAMPLES_OF = {
    "up": ["oxh up", "oxh up --topology sizing --project sizing", "oxh up --http-port 8080"],
    "down": ["oxh down", "oxh down --project sizing", "oxh down --all"],
    "status": ["oxh status", "oxh status --json"],
    "images": ["oxh images build", "oxh images build --only balancer middleware"],
    "validate": ["oxh validate ci-small", "oxh validate acme-target.yaml", "oxh validate reference-1m"],
    "bench": ["oxh bench", "oxh bench --cold --runs 3"],
    "compare": ["oxh compare 20261206-101500-ab12", "oxh compare RUN BASELINE"],
    "drill": ["oxh drill --target staging.yaml --scenario middleware-node-killed --dry-run",
              "oxh drill --target staging.yaml --scenario middleware-node-killed --confirm staging-acme"],
    "doctor": ["oxh doctor", "oxh doctor --target acme-target.yaml"],
    "load": ["oxh load --profile smoke --users 5 --duration 30s",
             "oxh load --shape steps --profile webmail",
             "oxh load --duration 2m --fault middleware-node-killed@45s"],
    "size": ["oxh size --measure", "oxh size --measure --quotas 0.1,0.2 --hold 20s", "oxh size --from RUN1 RUN2",
             "oxh size --from RUN --rehearse --design reference-1m"],
    "report": ["oxh report 20261206-101500-ab12"],
    "bench-api": ["oxh bench-api --seconds 20s --workers 8"],
    "bench-generator": ["oxh bench-generator --seconds 30s --runs 3"],
    "bench-hung": ["oxh bench-hung --node ox-2 --runs 3"],
    "bench-dav": ["oxh bench-dav", "oxh bench-dav --project staging-copy"],
}


def check_project(name: str) -> str:
    """A project name as Docker objects may carry it, or a UserError saying how to write one."""
    if not re.match(PROJECT_PATTERN, name):
        raise UserError(
            f"project name {name!r} is not valid",
            "use lower-case letters, digits and '-', starting with a letter, at most 31 characters",
        )
    return name


def duration(text: str) -> float:
    """argparse type: a duration as Locust and pytest users write it (30s, 5m, 1h30m), in seconds."""
    try:
        return parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: write it as {EXAMPLES}") from None


def _with_examples(commands) -> None:
    for name, parser in commands.choices.items():
        lines = EXAMPLES_OF.get(name)
        if lines and not parser.epilog:
            parser.formatter_class = argparse.RawDescriptionHelpFormatter
            parser.epilog = "examples:\n" + "\n".join(f"  {line}" for line in lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oxh",
        description=(
            "ox-harness: bring up a scaled-down OX App Suite HA cluster in containers "
            "(balancer pair with VIP, middleware nodes, MariaDB master-master, NFS, Dovecot, Postfix) "
            "and qualify it."
        ),
        epilog="Run `oxh COMMAND --help` for the options of one command. How the harness is built: "
               "docs/ARCHITECTURE.md, shipped in the package as harness/shipped/docs/ARCHITECTURE.md.",
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

    def with_target(sub: argparse.ArgumentParser, what: str, confirm: str | None = None,
                    required: bool = False) -> None:
        """--target FILE (`what` it names), and --confirm TARGET_NAME (`confirm`: what saying yes allows)."""
        sub.add_argument("--target", metavar="FILE", required=required, help=what)
        if confirm:
            sub.add_argument("--confirm", metavar="TARGET_NAME", help=f"the target's name, to say yes to {confirm}")

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
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run every suite (or those named) against the target and judge the run against the required\n"
                    "set of its kind: QUALIFIED only when every required requirement ran and passed; NOT QUALIFIED\n"
                    "names each failure and each required requirement not run, with the reason. A run that did not\n"
                    "run every test of its suites (--suites, or any pytest selection: -k, -m, --deselect, --ignore,\n"
                    "node ids, a plugin) is PARTIAL and qualifies nothing; each requirement with a test left out is\n"
                    "'not run (deselected)'. A limit the target file sets looser than the design's is a waiver,\n"
                    "printed beside the verdict ('QUALIFIED with 1 waiver: ...'); a file that allows lost data is\n"
                    "refused.",
        epilog="exit codes:\n  0  QUALIFIED\n  1  NOT QUALIFIED (something failed, a required requirement did not "
               "run, or a regression against --baseline)\n  2  bad input (target file, suites, arguments)\n"
               "  3  PARTIAL with nothing failed\n\nexamples:\n  oxh qualify\n"
               "  oxh qualify --suites functional failover\n  oxh qualify --target acme.yaml\n"
               "  oxh qualify -- -k sessions        # PARTIAL: the other tests are deselected"))
    with_target(qualify, "target file of kind remote (default: the reference project)",
                "the failover suite's faults on a staging target")
    qualify.add_argument("--topology", default="ci-small", help="topology to bring up when the project is not running")
    qualify.add_argument("--suites", nargs="+", default=None, metavar="SUITE",
                         help="run only these suites: the verdict is then PARTIAL (default: every suite)")
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
    with_target(drill, "target file marked `use: staging`", "injecting faults", required=True)
    drill.add_argument("--scenario", required=True, metavar="NAME", help=f"one of: {', '.join(SCENARIOS)}")
    drill.add_argument("--dry-run", action="store_true", help="print the plan (fault, nodes, commands); touch nothing")

    doctor = commands.add_parser(
        "doctor", help="print what this machine has and lacks for each use, with the mend",
        description="One table: Python, the Docker engine, debootstrap and the fault tools (reference topology), "
                    "the OX API spec and a target's endpoints (acceptance runs), SSH (drills), chromium (browser "
                    "suite). Changes nothing. Exit code 1 when something is missing.")
    with_target(doctor, "also try every endpoint this target file names")

    load = with_project(commands.add_parser(
        "load", help="run a load profile through Locust and print throughput, percentiles and CPU per tier",
        description="Provision test users for the run, drive the target with Locust (out of process) on a profile "
                    "of loadprofiles/ (webmail, groupware, sync, smoke, or a file), sample CPU and memory per node "
                    "every second, and write reports/<run-id>/load/ (Locust's CSVs, results.json, plots). Exit code "
                    "0 when every request class met its SLO and the generator kept up. A remote target must say "
                    "`load: allowed` and be named with --confirm."))
    load.add_argument("--profile", default="webmail", help="profile name or file (default: webmail)")
    with_target(load, "target file (default: the reference project)", "load on a remote target")
    load.add_argument("--users", type=int, help="users of a constant or soak run (default: the profile's)")
    load.add_argument("--spawn-rate", type=float, help="users started per second (default: the profile's)")
    load.add_argument("--duration", type=duration, help="length of a constant or soak run, e.g. 30s, 5m, 1h30m "
                                                        "(default: the profile's)")
    load.add_argument("--shape", choices=("constant", "steps", "soak"), default="constant",
                      help="constant users; steps: the profile's steps, each held until throughput is steady; soak")
    load.add_argument("--speedup", type=float, help="hours of user behaviour per hour of run (default: the profile's)")
    load.add_argument("--fault", metavar="SCENARIO@TIME",
                      help=f"inject a failover scenario that long into the run, e.g. @45s (one of: {', '.join(SCENARIOS)})")
    load.add_argument("--workers", type=int, default=1, help="local Locust worker processes under a master "
                                                             "(Locust's --processes; one per core)")
    load.add_argument("--master", action="store_true", help="be a Locust master for workers on other machines")
    load.add_argument("--expect-workers", type=int, default=1, help="with --master: workers to wait for")
    load.add_argument("--worker", action="store_true", help="be a worker of a master on another machine")
    load.add_argument("--master-host", help="with --worker: the master's address")
    load.add_argument("--plan", metavar="FILE", help="with --worker: the master's load/plan.json")

    size = commands.add_parser(
        "size", help="extrapolate measured capacity to the nodes, cores and RAM a 1M-user installation needs",
        description="With --measure: bring up the `sizing` topology (four groupware nodes) if the project is not "
                    "running, sweep the groupware pool with 1, 2 and 3 members under the smallest CPU quota set "
                    "through the engine (1 and 2 under the larger) and with 4 under the smallest (each point run --repeats times; the fits take the median and print the spread), one "
                    "groupware node under --core-quotas as well, the sync pool's node under the sync profile's DAV "
                    "clients (--sync-quotas), and the mail tier with 1 and 2 Dovecot nodes (step "
                    "load, throughput at the profile's SLOs), then kill a middleware node under the load "
                    "its nodes carry with one spare (the N+1 proof). With --from: reuse the points of earlier "
                    "sweeps. Then fit the Universal Scalability Law per tier (bootstrap intervals, held-out 4-node "
                    "prediction, leave-one-out; points the generator or the host bound are left out) and one node's "
                    "throughput against its cores (the per-core scaling to the design's cores), compute the demand "
                    "of --users from the design file, and print nodes per tier against the design and how far it "
                    "lies beyond the data. Writes reports/<run>/sizing/ (sizing.json, design.yaml, plots). Every "
                    "measured step is printed with the host's CPU, the queueing model's throughput and each request "
                    "class's simulated p95. With --rehearse: put the design into the queueing "
                    "model at its peak demand, whole and with each single failure (no containers). Exit code 0 when "
                    "the design is enough, the fits predicted their held-out points, the N+1 proof held and the "
                    "rehearsal held, 1 otherwise, 2 for bad input.")
    size.add_argument("--project", default="sizing", help="project to sweep; brought up from --topology when it "
                                                          "is not running (default: sizing)")
    size.add_argument("--measure", action="store_true", help="run the capacity sweep now (27 to 30 minutes on 2 cores)")
    size.add_argument("--from", dest="from_runs", nargs="+", metavar="RUN", default=[],
                      help="run ids (folders under reports/) or paths of earlier sweeps to reuse")
    size.add_argument("--run", metavar="RUN", help="write the sizing into this run's folder (e.g. the `oxh qualify "
                                                   "--suites load` run whose HTML report should show it)")
    size.add_argument("--users", type=int, default=1_000_000, help="users to size for (default: 1,000,000)")
    size.add_argument("--design", default="reference-1m",
                      help="sizing design to compare with and take the demand factors from (default: reference-1m)")
    size.add_argument("--profile", default="webmail", help="load profile of the groupware sweep (default: webmail)")
    size.add_argument("--topology", default="sizing", help="topology to bring up for --measure when the project is "
                                                           "not running (default: sizing)")
    size.add_argument("--quotas", metavar="CORES,...", help="CPU quotas per middleware node, cores "
                                                            "(default: 0.1,0.15)")
    size.add_argument("--core-quotas", metavar="CORES,...",
                      help="CPU quotas under which one groupware node is measured as well, for its per-core "
                           "scaling; `none` to skip (default: 0.3)")
    size.add_argument("--held-out-nodes", metavar="N|none",
                      help="groupware members measured under the smallest quota as well, the point the fit on 1 to 3 "
                           "members must predict; `none` holds out the 3-member points (default: 4)")
    size.add_argument("--imap-quotas", metavar="CORES,...", help="CPU quotas per Dovecot node, cores "
                                                                 "(default: 0.2,0.4)")
    size.add_argument("--sync-quotas", metavar="CORES,...|none",
                      help="CPU quotas under which the sync pool's node is measured with the sync profile's DAV "
                           "clients (its λ per core; the pool's scaling over nodes is assumed linear); `none` to "
                           "skip (default: 0.1)")
    size.add_argument("--hold", type=duration, default=10.0,
                      help="how long each step is measured at least, once its users have started (default: 10s; up "
                           "to twice that until its throughput settles); the mail tier's and the sync pool's steps, "
                           "which carry more requests a second, 0.7 of it and at least 5s")
    size.add_argument("--repeats", type=int, default=2,
                      help="runs of each sweep point; the point is their median, their spread is printed beside the "
                           "fit's errors (default: 2)")
    size.add_argument("--no-proof", action="store_true", help="with --measure: skip the N+1 proof")
    size.add_argument("--rehearse", action="store_true",
                      help="rehearse the design in the queueing model at its peak, whole and with each single failure, "
                           "from the demands the sweep measured")
    with_target(size, "staging target to sweep by draining pool members (default: the reference project)",
                "sweeping it")

    report = commands.add_parser("report", help="render the HTML report of a run folder again")
    report.add_argument("run", help="run id (a folder under reports/) or a path")

    bench_api = with_project(commands.add_parser(
        "bench-api", help="print req/s and p50/p95 of API calls through the balancer of a running project"))
    bench_api.add_argument("--seconds", type=duration, default=10.0, help="length of each measurement (default: 10s)")
    bench_api.add_argument("--workers", type=int, default=16, help="concurrent requests when saturating (default: 16)")
    bench_generator = with_project(commands.add_parser(
        "bench-generator", help="print req/s and requests per generator CPU-second, bare Locust vs oxh load",
        description="Bare Locust (a FastHttpUser fetching the balancer's static start page without think time) "
                    "against oxh load's webmail users without think time on a running project: req/s and requests "
                    "per CPU-second of the generator, and their ratio (medians)."))
    bench_generator.add_argument("--seconds", type=duration, default=20.0, help="length of each run (default: 20s)")
    bench_generator.add_argument("--users", type=int, default=20, help="Locust users (default: 20)")
    bench_generator.add_argument("--runs", type=int, default=3, help="runs of each (median is printed)")
    bench_hung = with_project(commands.add_parser(
        "bench-hung", help="print how long a paused middleware node goes unnamed by the pool check and the balancers",
        description="Pause a groupware node of a running project and print the seconds until the pool check "
                    "(BAL-ANSWER) names it and until the balancers' member watch takes it out; medians over runs."))
    bench_hung.add_argument("--node", help="the groupware node to pause (default: the first)")
    bench_hung.add_argument("--runs", type=int, default=3, help="pauses to measure (default: 3)")
    with_project(commands.add_parser(
        "bench-dav", help="print what caldav-server-tester finds of the CalDAV of each sync pool member",
        description="Run the public CalDAV compatibility checker caldav-server-tester as a throw-away user through "
                    "each sync pool member of a running project; print per member how many features are full, "
                    "unsupported, fragile, quirk, broken, ungraceful or unknown and name each that is not full. "
                    "Exit 1 when one is broken or ungraceful."))
    _with_examples(commands)
    return parser
