"""`python -m benchmarks [--quick] [--only NAME ...] [--out FILE] [--profile DIR]`: run, write results.

Without `--out`, a full run writes `benchmarks/results.md` and a `--quick` run writes nothing (the
smoke test passes its own file).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import floor, lag, load, many_syncs, memory, observer_tick
from .harness import ChildFailed, Options, Table, machine_facts
from .subjects import theirs_available

RESULTS = Path(__file__).with_name("results.md")
NAMES = ("load", "many_syncs", "lag", "observer", "memory", "floor")


#: Report order is NAMES; run order puts the long syncs of `lag` in the background first, then the
#: benchmarks whose load on the machine is light (start-ups, small catalogs), and the heavy loads of
#: 1,000 connections and the floor comparison (up to 10,000) last, once the long syncs are done.
RUN_ORDER = ("observer", "many_syncs", "lag", "load", "memory", "floor")


def _runners(opts: Options, selected: Sequence[str]) -> dict[str, Callable[[], list[Table]]]:
    loaded: dict[str, dict] = {}
    long = lag.LongSyncs(opts) if "lag" in selected else None
    # dagster-airbyte's measurements run together when all three benchmarks are due: its load of
    # 1,000 connections (minutes of its own CPU) in a thread, beside its 20-sync run (minutes of
    # waiting on 10 s polls), then its short lag syncs and smaller loads. Ours never run meanwhile.
    theirs_loads: dict[int, load.Samples] = {}
    theirs_lag: dict[tuple[str, float], lag.Samples] = {}
    together = opts.theirs and not opts.quick and {"load", "many_syncs", "lag"} <= set(selected)

    def theirs_largest_load() -> None:
        largest = max(load.sizes(opts))
        theirs_loads[largest] = load.measure_theirs(opts, largest)

    def theirs_short_measurements() -> None:
        theirs_lag.update(lag.measure_short(opts, "theirs"))
        for n in load.sizes(opts)[:-1]:
            theirs_loads[n] = load.measure_theirs(opts, n)

    def load_results() -> dict:
        if "load" not in loaded:
            loaded["load"] = load.measure(opts, theirs=theirs_loads)
        return loaded["load"]

    return {
        "load": lambda: load.tables(opts, load_results()),
        "many_syncs": lambda: many_syncs.run(
            opts,
            alongside=theirs_largest_load if together else None,
            then=theirs_short_measurements if together else None,
        ),
        "lag": lambda: lag.tables(opts, lag.measure(opts, long, theirs_lag if together else None)),
        "observer": lambda: observer_tick.run(opts),
        "memory": lambda: memory.tables(opts, load_results()),
        "floor": lambda: floor.tables(opts, floor.measure(opts)),
    }


def render(facts: dict[str, str], sections: list[str], elapsed_s: float, quick: bool) -> str:
    head = [
        "# Benchmark results" + (" (quick: smallest sizes, one repetition)" if quick else ""),
        "",
        "dagster_airbyte_ops against the official dagster-airbyte on the same Airbyte emulator. "
        "Regenerate with `make bench` (see docs/performance.md). Cells: median (min-max) of the runs.",
        "",
    ]
    head += [f"- {key}: {value}" for key, value in facts.items()]
    load_now = os.getloadavg()
    head += [
        f"- load average at end (1/5/15 min): {load_now[0]:.2f} / {load_now[1]:.2f} / {load_now[2]:.2f}",
        f"- total time: {elapsed_s / 60:.1f} min",
        "",
    ]
    return "\n".join(head) + "\n" + "\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smallest sizes, one repetition")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per measurement (default 3)")
    parser.add_argument("--only", nargs="+", choices=NAMES, help="run only these benchmarks")
    parser.add_argument("--ours-only", action="store_true", help="skip dagster-airbyte")
    parser.add_argument("--out", type=Path, help="results file (default: benchmarks/results.md on full runs)")
    parser.add_argument(
        "--profile",
        type=Path,
        help="floor benchmark: write a pyinstrument profile of each load to this folder",
    )
    args = parser.parse_args(argv)

    has_theirs = theirs_available()
    opts = Options(
        quick=args.quick,
        reps=args.reps,
        theirs=has_theirs and not args.ours_only,
        profile_dir=str(args.profile) if args.profile else None,
    )
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    if not has_theirs:
        opts.log("dagster-airbyte is not installed (`make bench` installs it): measuring ours only")
    facts = machine_facts()
    started = time.monotonic()
    selected = [name for name in RUN_ORDER if name in (args.only or NAMES)]
    by_name: dict[str, list[str]] = {}
    failed = False
    runners = _runners(opts, selected)
    took: dict[str, float] = {}
    for name in selected:
        opts.log(f"benchmark {name}")
        began = time.monotonic()
        try:
            tables = runners[name]()
        except ChildFailed as error:
            failed = True
            by_name[name] = [f"### {name}\n\nFailed: {error}\n"]
            opts.log(f"{name} failed: {error}")
            continue
        took[name] = time.monotonic() - began
        by_name[name] = [table.markdown() for table in tables]
        for text in by_name[name]:
            print(text, flush=True)
    sections = [text for name in NAMES for text in by_name.get(name, [])]
    out = args.out or (None if args.quick else RESULTS)
    if out is not None:
        timing = ", ".join(f"{name} {seconds / 60:.1f} min" for name, seconds in took.items())
        facts["time per benchmark (run order)"] = timing or "—"
        out.write_text(render(facts, sections, time.monotonic() - started, args.quick))
        opts.log(f"written: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
