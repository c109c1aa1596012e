"""What an upstream sensor launches, resolved against the code location's assets on every tick.

A job's selection, or a user's asset selection whose named keys and groups must exist and be runnable
here; a selection that includes what the sensor waits for would loop, so it fails the tick instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dagster as dg

from ..config._text import close_matches
from ..errors import AirbyteOpsError, ConfigError

MAX_LISTED_KEYS = 5


@dataclass(frozen=True)
class SensorTarget:
    """What a sensor launches: a job (for `after:`) or an asset selection (for `downstream:`)."""

    job: dg.UnresolvedAssetJobDefinition | dg.JobDefinition | None
    selection: dg.AssetSelection | None
    where: str  # how errors about the target name it, e.g. "airbyte_ops.yaml: downstream[0].assets"
    job_keys: tuple[dg.AssetKey, ...] | None = None  # the assets each run selects out of `job`

    def keys(self, context: dg.SensorEvaluationContext, guard: Iterable[dg.AssetKey]) -> set[dg.AssetKey]:
        """The target's asset keys in this code location; a clear ConfigError if they cannot be run."""
        repo = context.repository_def
        if repo is None:
            raise AirbyteOpsError(
                f"{self.where}: the sensor needs the code location's assets to resolve its target; "
                "evaluate it with build_sensor_context(definitions=defs, ...)"
            )
        graph = repo.asset_graph
        if self.job is not None and self.job_keys is not None:
            return set(self.job_keys)
        if self.job is not None:
            selection = getattr(self.job, "selection", None)
            if selection is None:  # a resolved JobDefinition
                return set(self.job.asset_layer.executable_asset_keys)  # type: ignore[union-attr]
            return set(selection.resolve(graph, allow_missing=True))
        assert self.selection is not None
        problems = _unknown_names(self.selection, repo)
        if problems:
            raise ConfigError(f"{self.where}: " + f"\n{self.where}: ".join(problems))
        keys = self.selection.resolve(graph, allow_missing=True)
        runnable = {k for k in keys if graph.get(k).is_executable}
        if not runnable:
            raise ConfigError(
                f"{self.where}: selects no asset that Dagster can run in this code location; define the "
                "assets in the Definitions you merge with build_definitions(...), or fix the selection "
                '(the UI\'s asset filter shows what a selection like "group:analytics" matches)'
            )
        looping = sorted(k.to_user_string() for k in runnable & set(guard))
        if looping:
            shown = ", ".join(f'"{k}"' for k in looping[:MAX_LISTED_KEYS])
            raise ConfigError(
                f"{self.where}: selects {shown}, which the sensor also waits for, so each run would "
                "trigger the next; narrow the selection to the assets downstream of the syncs"
            )
        return runnable


def _named_in(selection: dg.AssetSelection) -> tuple[list[dg.AssetKey], list[str]]:
    """The asset keys and groups a selection spells out by name, anywhere in its expression."""
    keys: list[dg.AssetKey] = []
    groups: list[str] = []
    pending = [selection]
    while pending:
        node = pending.pop()
        keys.extend(getattr(node, "selected_keys", None) or ())
        groups.extend(getattr(node, "selected_groups", None) or ())
        wildcard = getattr(node, "selected_key_wildcard", None)
        if wildcard and "*" not in wildcard:
            keys.append(dg.AssetKey(wildcard.split("/")))
        pending.extend(getattr(node, "operands", None) or ())
        child = getattr(node, "child", None)
        if isinstance(child, dg.AssetSelection):
            pending.append(child)
    return list(dict.fromkeys(keys)), list(dict.fromkeys(groups))


def _unknown_names(selection: dg.AssetSelection, repo: dg.RepositoryDefinition) -> list[str]:
    """One problem per key or group the selection names that the code location does not have."""
    graph = repo.asset_graph
    keys, groups = _named_in(selection)
    known_keys = graph.get_all_asset_keys()
    known_groups = {graph.get(k).group_name for k in known_keys}
    problems = []
    key_pool = [k.to_user_string() for k in known_keys]
    for key in keys:
        if key not in known_keys:
            text = key.to_user_string()
            problems.append(f'"{text}" is not an asset of this code location; {_fix(text, key_pool)}')
    for group in groups:
        if group not in known_groups:
            pool = sorted(g for g in known_groups if g)
            problems.append(f'no asset of this code location is in group "{group}"; {_fix(group, pool)}')
    return problems


def _fix(word: str, pool: Sequence[str]) -> str:
    near = close_matches(word, pool, n=1)
    if near:
        return f'did you mean "{near[0]}"?'
    return "define it in the Definitions you merge with build_definitions(...), or fix the name"
