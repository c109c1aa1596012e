"""The package's shape, read from its source with `ast`: what docs/architecture.md promises.

- imports run one way (leaves <- client/config <- resource <- assets/manage <- schedules/sensors/checks/
  execution <- definitions <- cli/component); peers do not import each other; the library never
  imports the emulator (only cli.py starts it); commands/ and cli_manage.py hold pieces of cli.py;
- private Dagster imports (`dagster._...`, `dagster_shared`) only in the fence files of execution/;
- at most 10 modules at the top level, and no module over 450 lines (the emulator aside).

Each rule is also checked against a made-up violation, so a checker that sees nothing fails.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dagster_airbyte_ops"
NAME = "dagster_airbyte_ops"

#: Unit (top-level module or folder) -> layer. A unit imports its own unit, lower layers and leaves.
LAYERS: dict[str, int] = {
    "errors": 0,
    "names": 0,
    "metadata": 0,
    "client": 1,
    "config": 1,
    "resource": 2,
    "assets": 3,
    "manage": 3,
    "schedules": 4,
    "sensors": 4,
    "checks": 4,
    "execution": 4,
    "definitions": 5,
    "commands": 6,
    "cli_manage": 6,
    "cli": 7,
    "component": 7,
    "__init__": 8,
}
#: Modules any layer may import: they import nothing of the package.
LEAVES = {f"{NAME}.errors", f"{NAME}.names", f"{NAME}.metadata", f"{NAME}.execution.dagster_internals"}
#: The only files that may import Dagster's private internals (docs/architecture.md, "the fence").
FENCE = {"execution/executor.py", "execution/dagster_internals.py"}
#: The only importer of the emulator: the `airbyte-ops emulator` and `dev` commands.
EMULATOR_IMPORTERS = {"cli.py"}
MAX_TOP_LEVEL_MODULES = 10
MAX_LINES = 450
#: Modules allowed over MAX_LINES while they wait to be split (none today).
OVERSIZED: set[str] = set()


@dataclass(frozen=True)
class Import:
    file: str  # path relative to the package, e.g. "sensors/after.py"
    line: int
    target: str  # absolute dotted module, e.g. "dagster_airbyte_ops.assets.built_connection"


def module_name(file: str) -> str:
    parts = file.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([NAME, *parts])


def imports_of(file: str, source: str) -> list[Import]:
    """Every import in `source` (TYPE_CHECKING and function-level ones too), made absolute."""
    package = module_name(file).split(".")
    if not file.endswith("__init__.py"):
        package = package[:-1]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(Import(file, node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            if node.module is None or (node.level == 0 and base == NAME):
                # `from . import x` / `from dagster_airbyte_ops import x`: x may be a submodule
                found.extend(Import(file, node.lineno, f"{base}.{alias.name}") for alias in node.names)
            else:
                found.append(Import(file, node.lineno, base))
    return found


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def package_files() -> dict[str, str]:
    return {
        path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def direction_problems(files: dict[str, str]) -> list[str]:
    problems = []
    for file, source in files.items():
        me = unit_of(module_name(file))
        for imp in imports_of(file, source):
            if not (imp.target == NAME or imp.target.startswith(NAME + ".")):
                continue
            target = unit_of(imp.target)
            where = f"{file}:{imp.line} imports {imp.target}"
            if target == "emulator":
                if me != "emulator" and file not in EMULATOR_IMPORTERS:
                    problems.append(f"{where}: the library never imports the emulator")
                continue
            if module_name(file) in LEAVES:
                problems.append(f"{where}: a leaf module imports nothing of the package")
            elif me == "emulator" or target == me or imp.target in LEAVES:
                continue
            elif target == "__init__" or LAYERS[target] >= LAYERS[me]:
                kind = "a peer" if LAYERS.get(target) == LAYERS[me] else "upward"
                problems.append(f"{where}: {kind} import ({me} may import only lower layers)")
    return problems


def fence_problems(files: dict[str, str]) -> list[str]:
    problems = []
    for file, source in files.items():
        if file in FENCE:
            continue
        for imp in imports_of(file, source):
            top = imp.target.split(".")
            if top[0] == "dagster_shared" or (
                top[0] == "dagster" and len(top) > 1 and top[1].startswith("_")
            ):
                problems.append(
                    f"{file}:{imp.line} imports {imp.target}: Dagster's internals only in "
                    f"{', '.join(sorted(FENCE))} (add the name to execution/dagster_internals.py "
                    "with a comment naming the missing public API)"
                )
    return problems


def test_imports_run_one_way() -> None:
    files = package_files()
    assert {unit_of(module_name(f)) for f in files} <= {*LAYERS, "emulator"}, "a new folder needs a layer"
    assert direction_problems(files) == []


def test_private_dagster_imports_stay_behind_the_fence() -> None:
    assert fence_problems(package_files()) == []


def test_the_fence_is_small() -> None:
    files = package_files()
    private = {f for f in files if fence_problems({f: files[f]}) or f in FENCE}
    assert len(private) <= 4
    assert len({f.split("/")[0] for f in private}) <= 2


def test_top_level_and_module_sizes() -> None:
    top_level = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top_level) <= MAX_TOP_LEVEL_MODULES, top_level
    too_long = {
        file: source.count("\n")
        for file, source in package_files().items()
        if not file.startswith("emulator/") and source.count("\n") > MAX_LINES
    }
    assert set(too_long) <= OVERSIZED, too_long


@pytest.mark.parametrize(
    ("file", "source", "rule"),
    [
        ("resource/x.py", "from ..sensors.observer import build_observer_sensor\n", "upward"),
        ("sensors/x.py", "from ..schedules import quartz\n", "a peer"),
        ("client/x.py", "from dagster_airbyte_ops.config import load_config\n", "a peer"),
        (
            "assets/x.py",
            "def f():\n    from ..emulator import EmulatorServer\n",
            "never imports the emulator",
        ),
        ("names.py", "from .errors import ConfigError\n", "leaf"),
        ("config/x.py", "from .. import definitions\n", "upward"),
    ],
)
def test_direction_checker_sees_violations(file: str, source: str, rule: str) -> None:
    problems = direction_problems({file: source})
    assert len(problems) == 1 and rule in problems[0], problems


@pytest.mark.parametrize(
    "source",
    [
        "from dagster._core.events import DagsterEvent\n",
        "import dagster._check as check\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dagster._utils import x\n",
        "from dagster_shared.utils import cached_method\n",
    ],
)
def test_fence_checker_sees_violations(source: str) -> None:
    assert len(fence_problems({"sensors/x.py": source})) == 1
    assert fence_problems({"execution/executor.py": source}) == []


def test_allowed_imports_pass() -> None:
    files = {
        "sensors/x.py": "import dagster as dg\nfrom ..assets.built_connection import BuiltConnection\n"
        "from ..names import op_name\nfrom ..execution.dagster_internals import CheckError\n",
        "config/x.py": "from ..execution.dagster_internals import is_valid_cron_string\n",
        "cli.py": "def main():\n    from .emulator.__main__ import main\n",
        "emulator/x.py": "from dagster_airbyte_ops.schedules.quartz import quartz_to_cron\n",
    }
    assert direction_problems(files) == []
    assert fence_problems(files) == []
