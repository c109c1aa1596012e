"""Benchmarks: dagster_airbyte_ops against the official dagster-airbyte, on the same Airbyte emulator.

`python -m benchmarks` runs them all and writes `benchmarks/results.md`; `--quick` runs each once at its
smallest size (what the smoke test does). Every measurement that involves loading code or running
Dagster happens in a fresh child process (`benchmarks.child`), so import caches and memory of one
measurement never leak into the next; the emulators run in the parent and count the HTTP requests.

Modules, one benchmark each: `load` (1: loading definitions, run-worker reload), `many_syncs`
(2: 20 syncs in one run), `lag` (3: completion lag and requests per sync), `observer_tick`
(4: observation sensor tick), `memory` (5: code-server RSS with 10,000 assets). Shared pieces:
`harness` (statistics, tables, child processes, emulators) and `subjects` (ours and theirs, built
the way each one's documentation says).
"""
