"""A worker process for the bulk figures: ``run_due`` once on a database
whose manual clock was already moved, then one JSON line with the seconds it
took and the process's peak resident memory.

    python -m inmail.bench.probe --database-url URL [--profile PATH]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from inmail.clock import ManualClock
from inmail.domain.plans import DEFAULT_PLANS
from inmail.service.context import Context
from inmail.service.due import run_due
from inmail.store.database import Database


def peak_rss_kib() -> int:
    """VmHWM from /proc (Linux), else getrusage's maximum."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--profile", help="write a pyinstrument profile (text) here")
    args = parser.parse_args()
    database = Database(args.database_url)
    ctx = Context(database, ManualClock(), dict(DEFAULT_PLANS))
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    started = time.perf_counter()
    result = run_due(ctx)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_text(unicode=True, show_all=False))
    database.dispose()
    line = {"seconds": seconds, "accounts": result.accounts, "peak_rss_kib": peak_rss_kib()}
    print(json.dumps(line))


if __name__ == "__main__":
    main()
