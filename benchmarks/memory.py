"""Benchmark 5: the code server's memory with 10,000 assets (1,000 connections x 10 streams).

Measured in the same processes as benchmark 1's largest load, which after loading also do what a code
server does before serving: build the repository snapshot (`RepositorySnap.from_def`) and serialize it.
RSS serving: resident memory right after that; peak: the process's high-water mark.
"""

from __future__ import annotations

from typing import Any

from .harness import Options, Stats, Table, ratio
from .load import STREAMS, Samples, sizes
from .subjects import LABELS


def tables(opts: Options, results: dict[tuple[int, str, str], Samples]) -> list[Table]:
    n = max(sizes(opts))
    table = Table(
        title=f"5. Code-server memory: {n * STREAMS:,} assets",
        target="below dagster-airbyte's",
        columns=[
            "subject",
            "assets",
            "RSS serving MiB",
            "peak RSS MiB",
            "snapshot s",
            "snapshot MiB",
            "RSS ours/theirs",
            "runs",
        ],
    )
    rows: dict[str, tuple[Stats, list[dict[str, Any]]]] = {}
    for subject, flavour in (("ours", "config"), ("theirs", "public+config")):
        samples = results.get((n, subject, flavour))
        if samples is None or not samples.code_server:
            continue
        rows[subject] = (
            Stats.of(r["rss_serving_kb"] / 1024 for r in samples.code_server),
            samples.code_server,
        )
    for subject, (rss, runs) in rows.items():
        mine = subject == "ours"
        table.add(
            LABELS[subject] + (" (config API)" if mine else ""),
            f"{runs[0]['assets']:,}",
            rss.show(digits=0),
            Stats.of(r["rss_peak_kb"] / 1024 for r in runs).show(digits=0),
            Stats.of(r["snapshot_s"] for r in runs).show(),
            Stats.of(r["snapshot_bytes"] / 2**20 for r in runs).show(digits=1),
            ratio(rss, rows["theirs"][0]) if mine and "theirs" in rows else "",
            str(len(runs)),
        )
    if "ours" in rows and "theirs" in rows:
        table.met = rows["ours"][0].median < rows["theirs"][0].median
    table.notes.append(
        "Same processes as benchmark 1 at its largest size: load, then build and serialize the "
        "repository snapshot as `dagster api grpc` does before answering the webserver."
    )
    return [table]
