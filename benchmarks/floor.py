"""Benchmark 6: ours against Dagster's own floor — the same specs built by plain Dagster.

At each size (N connections x 10 streams, emulator seed `generated:N:10`) a fresh process loads ours
as a code server does (catalog over HTTP, definitions, repository, then the repository snapshot built
and serialized as `dagster api grpc` does) and writes down the specs it built (`floor_subject.describe`,
after the measurement). Another fresh process then builds exactly those specs with plain Dagster (one
subsettable multi-asset per connection; see `floor_subject`) and does the same repository and snapshot
steps. The two alternate, so each ratio compares runs taken side by side under the same load.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .harness import ChildFailed, Options, Stats, Table, child_env, emulator, run_child
from .subjects import LABELS

STREAMS = 10
WALL_RATIO_TARGET = 1.5
RSS_RATIO_TARGET = 1.3
GROWTH_TARGET = 11.0  # 10x the connections may cost at most 11x


def sizes(opts: Options) -> list[int]:
    return [10] if opts.quick else [100, 1000, 10000]


#: One pair of processes per size: the targets are at N ≥ 1,000, where one load takes up to minutes,
#: and N = 100 only shows the trend (`make bench` stays within 15 minutes).
PAIRS_PER_SIZE = 1


@dataclass
class Runs:
    """The child results of one (N, subject)."""

    results: list[dict[str, Any]] = field(default_factory=list)

    def stat(self, key: str, scale: float = 1.0) -> Stats:
        return Stats.of(r[key] / scale for r in self.results)

    def total(self) -> Stats:
        return Stats.of(r["wall_s"] + r["snapshot_s"] for r in self.results)


def measure(opts: Options) -> dict[tuple[int, str], Runs]:
    runs: dict[tuple[int, str], Runs] = {}
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        for n in sizes(opts):
            with emulator(f"generated:{n}:{STREAMS}") as server:
                specs = str(Path(tmp) / f"specs-{n}.json")
                env = child_env(
                    server,
                    BENCH_API="config",
                    BENCH_SNAPSHOT_DIR=str(Path(tmp) / "snapshots"),
                    BENCH_FLOOR_SPECS=specs,
                )
                reps = PAIRS_PER_SIZE
                for rep in range(reps):
                    for subject in ("ours", "floor"):
                        opts.log(f"  floor N={n} {LABELS[subject]} {rep + 1}/{reps}")
                        args: dict[str, Any] = {"subject": subject, "code_server": True}
                        if subject == "ours":
                            args["specs_out"] = specs
                        if opts.profile_dir:
                            args["profile_out"] = str(
                                Path(opts.profile_dir) / f"load-{n}-{subject}-{rep}.txt"
                            )
                        result = run_child("load", args, env, timeout=1500)
                        if subject == "floor" and result["assets"] != runs[(n, "ours")].results[-1]["assets"]:
                            raise ChildFailed(
                                f"floor N={n}: built {result['assets']} assets, ours built "
                                f"{runs[(n, 'ours')].results[-1]['assets']}"
                            )
                        runs.setdefault((n, subject), Runs()).results.append(result)
    return runs


def tables(opts: Options, runs: dict[tuple[int, str], Runs]) -> list[Table]:
    table = Table(
        title=f"6. Against Dagster's floor: N connections x {STREAMS} streams, same specs",
        target=f"at N ≥ 1,000: wall ≤ {WALL_RATIO_TARGET}x and peak RSS ≤ {RSS_RATIO_TARGET}x the floor's; "
        f"10x the connections ≤ {GROWTH_TARGET:g}x the wall time",
        columns=[
            "N",
            "subject",
            "imports s",
            "load s",
            "snapshot s",
            "load + snapshot s",
            "peak RSS loading MiB",
            "RSS serving MiB",
            "snapshot MiB",
            "wall ours/floor",
            "peak RSS ours/floor",
            "runs",
        ],
    )
    met: bool | None = None
    for n in sizes(opts):
        ours, floor = runs.get((n, "ours")), runs.get((n, "floor"))
        if ours is None or floor is None:
            continue
        wall_ratio = ours.total().median / floor.total().median
        load_ratio = ours.stat("wall_s").median / floor.stat("wall_s").median
        rss_ratio = ours.stat("rss_peak_load_kb").median / floor.stat("rss_peak_load_kb").median
        for subject, r in (("ours", ours), ("floor", floor)):
            mine = subject == "ours"
            table.add(
                f"{n:,}",
                LABELS[subject],
                r.stat("import_s").show(),
                r.stat("wall_s").show(),
                r.stat("snapshot_s").show(),
                r.total().show(),
                r.stat("rss_peak_load_kb", 1024).show(digits=0),
                r.stat("rss_serving_kb", 1024).show(digits=0),
                r.stat("snapshot_bytes", 2**20).show(digits=1),
                f"{wall_ratio:.2f}x (load {load_ratio:.2f}x)" if mine else "",
                f"{rss_ratio:.2f}x" if mine else "",
                str(len(r.results)),
            )
        if n >= 1000:
            ok = wall_ratio <= WALL_RATIO_TARGET and load_ratio <= WALL_RATIO_TARGET
            ok = ok and rss_ratio <= RSS_RATIO_TARGET
            met = ok if met is None else met and ok
    for subject in ("ours", "floor"):
        small, large = runs.get((1000, subject)), runs.get((10000, subject))
        if small is None or large is None:
            continue
        growth = large.total().median / small.total().median
        table.notes.append(
            f"Growth, {LABELS[subject]}: N = 10,000 costs {growth:.1f}x N = 1,000 (load + snapshot; "
            f"load alone {large.stat('wall_s').median / small.stat('wall_s').median:.1f}x)."
        )
        if subject == "ours":
            met = (met if met is not None else True) and growth <= GROWTH_TARGET
    table.met = met
    table.notes += [
        "Floor: plain Dagster building the very specs ours built in the same run (keys, groups, kinds, "
        "tags, descriptions, metadata, column schemas, and the asset checks declared with them; one "
        "subsettable multi-asset per connection), read from a JSON file; no schedules, sensors, jobs or "
        "resources (benchmarks/floor_subject.py).",
        "Each subject loads once per size (a pair of processes), to keep `make bench` within 15 minutes.",
        "Each row's two processes ran one after the other (ours, then the floor); ratios are of the "
        "medians. Load: definitions and repository (ours includes fetching the catalog over HTTP); "
        "snapshot: `RepositorySnap.from_def` serialized, as `dagster api grpc` does before serving; "
        "imports are timed apart and excluded.",
        "Peak RSS loading: the process's high-water mark after the load, before the snapshot; RSS "
        "serving: resident memory after the snapshot.",
    ]
    return [table]
