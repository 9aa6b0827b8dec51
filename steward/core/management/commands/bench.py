"""`steward bench <name> [--json]`: on-demand measurements that print JSON with wall time and
peak resident memory beside each figure. Never run by the test suite's timing assertions."""

from __future__ import annotations

import json
import platform
import resource
import time
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _calendar(options) -> dict:
    from steward.core.calendar_bench import bench

    return bench(calls=options["calls"])


def _sla(options) -> dict:
    import sys

    from steward.demo.sla_bench import bench

    def progress(line: str) -> None:  # on stderr: stdout is the JSON
        print(f"bench sla: {line}", file=sys.stderr, flush=True)

    return bench(tickets=options["tickets"], progress=progress)


def _desk(options) -> dict:
    import sys

    from steward.demo.desk_bench import bench

    def progress(line: str) -> None:  # on stderr: stdout is the JSON
        print(f"bench desk: {line}", file=sys.stderr, flush=True)

    return bench(
        tickets=options["tickets"], requests=options["requests"], runs=options["runs"], progress=progress
    )


def _dispatch(options) -> dict:
    import sys

    from steward.dispatch.bench import bench

    def progress(line: str) -> None:  # on stderr: stdout is the JSON
        print(f"bench dispatch: {line}", file=sys.stderr, flush=True)

    suite = "instances" if options["instances"] else options["suite"]
    try:
        return bench(
            suite=suite,
            time_limit=options["time_limit"],
            instances=options["instances"],
            solution_dir=options["solution_dir"],
            technicians=options["technicians"],
            jobs=options["jobs"],
            seed=options["seed"],
            engine=options["engine"],
            convention=options["convention"],
            progress=progress,
        )
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(str(exc)) from exc


def _planning(options) -> dict:
    import sys

    from steward.planning.bench import bench

    def progress(line: str) -> None:  # on stderr: stdout is the JSON
        print(f"bench planning: {line}", file=sys.stderr, flush=True)

    return bench(queues=options["queues"], n_jobs=options["processes"], progress=progress)


BENCHES: dict[str, Callable[[dict], dict]] = {
    "calendar": _calendar,
    "sla": _sla,
    "desk": _desk,
    "dispatch": _dispatch,
    "planning": _planning,
}


def _kpi(options) -> dict:
    import sys

    from steward.analytics.kpi_bench import bench

    def progress(line: str) -> None:  # on stderr: stdout is the JSON
        print(f"bench kpi: {line}", file=sys.stderr, flush=True)

    return bench(tickets=options["tickets"], runs=options["runs"], progress=progress)


BENCHES["kpi"] = _kpi


class Command(BaseCommand):
    help = "Run a benchmark and print its figures (with wall time and peak RSS) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(BENCHES), help="what to measure")
        parser.add_argument(
            "--json", action="store_true", help="print JSON only (the default output is JSON too)"
        )
        parser.add_argument("--calls", type=int, default=100_000, help="calendar: calls per function")
        parser.add_argument(
            "--tickets",
            type=int,
            default=100_000,
            help="sla: open tickets to build in a scratch database; desk: tickets of history to load in one",
        )
        parser.add_argument(
            "--requests", type=int, default=200, help="desk: timed requests per queue and run"
        )
        parser.add_argument("--runs", type=int, default=3, help="desk: runs (the figures are their medians)")
        parser.add_argument(
            "--suite", choices=("solomon", "field"), default="solomon", help="dispatch: what to solve"
        )
        parser.add_argument(
            "--instances",
            nargs="+",
            metavar="FILE",
            help="dispatch: Solomon/VRPLIB files (instead of --suite)",
        )
        parser.add_argument("--time-limit", type=float, default=10.0, help="dispatch: seconds per solve")
        parser.add_argument("--solution-dir", help="dispatch: write each plan as a VRPLIB .sol file here")
        parser.add_argument("--technicians", type=int, default=60, help="dispatch field: technicians")
        parser.add_argument("--jobs", type=int, default=800, help="dispatch field: jobs")
        parser.add_argument("--seed", type=int, default=1, help="dispatch: generator and solver seed")
        parser.add_argument(
            "--engine",
            choices=("pyvrp", "ortools", "greedy"),
            default="pyvrp",
            help="dispatch solomon/instances: the engine (the product's is pyvrp)",
        )
        parser.add_argument(
            "--convention",
            choices=("dimacs", "round", "exact"),
            default="dimacs",
            help="dispatch instances: integer rounding of distances and times",
        )
        parser.add_argument("--queues", type=int, default=200, help="planning: synthetic queues to forecast")
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="planning: forecasting processes (default: one per core)",
        )

    def handle(self, *args, name: str, **options):
        if options["calls"] <= 0:
            raise CommandError("--calls must be positive")
        if options["time_limit"] <= 0:
            raise CommandError("--time-limit must be positive")
        for option in ("tickets", "requests", "runs", "technicians", "jobs", "queues", "processes"):
            if options[option] is not None and options[option] <= 0:
                raise CommandError(f"--{option} must be positive")
        started = time.perf_counter()
        figures = BENCHES[name](options)
        result = {
            "bench": name,
            "figures": figures,
            "wall_seconds": round(time.perf_counter() - started, 3),
            "peak_rss_mb": _peak_rss_mb(),
            "python": platform.python_version(),
            "machine": platform.machine(),
        }
        self.stdout.write(json.dumps(result, indent=None if options["json"] else 2))
