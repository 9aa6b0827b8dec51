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


BENCHES: dict[str, Callable[[dict], dict]] = {"calendar": _calendar, "sla": _sla, "desk": _desk}


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

    def handle(self, *args, name: str, **options):
        if options["calls"] <= 0:
            raise CommandError("--calls must be positive")
        for option in ("tickets", "requests", "runs"):
            if options[option] <= 0:
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
