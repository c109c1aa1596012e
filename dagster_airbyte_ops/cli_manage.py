"""`airbyte-ops plan` and `airbyte-ops apply`: Airbyte as code from the terminal and from CI.

Exit codes follow Terraform's `plan -detailed-exitcode`, so CI can gate on them: 0 nothing to do,
2 changes pending, 1 error (a bad declaration, Airbyte unreachable, a failed apply). `apply` shows the
plan, asks for confirmation on a terminal, needs `--yes` when not on one (a script must say so), deletes
managed resources that are no longer declared only with `--prune`, and replaces a resource (another
connector; a connection losing its sync history) only with `--replace`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from .config import load_config
from .config.loader import find_config_path
from .definitions import build_load_time_resource
from .manage import ApplyError, apply_plan, make_plan, refusals, render_plan, state_path

EXIT_NO_CHANGES = 0
EXIT_ERROR = 1
EXIT_PENDING = 2


def add_commands(commands: argparse._SubParsersAction, add_config: object) -> None:  # type: ignore[type-arg]
    """Register `plan` and `apply` on the main parser (`add_config` adds the --config flag)."""
    plan = commands.add_parser(
        "plan", help="show what apply would change in Airbyte (exit 0 nothing, 2 pending, 1 error)"
    )
    apply = commands.add_parser(
        "apply", help="make Airbyte match the file's sources, destinations, connections"
    )
    for parser in (plan, apply):
        add_config(parser)  # type: ignore[operator]
        parser.add_argument(
            "--state",
            default=None,
            help="state file (default: $AIRBYTE_OPS_STATE, else .airbyte_ops_state.json beside the config)",
        )
        parser.add_argument(
            "--prune", action="store_true", help="delete managed resources no longer declared"
        )
    apply.add_argument("--yes", action="store_true", help="apply without asking (required off a terminal)")
    apply.add_argument(
        "--replace",
        action="store_true",
        help="allow replacing resources Airbyte cannot change in place (connections lose sync history)",
    )
    plan.set_defaults(handler=run_plan)
    apply.set_defaults(handler=run_apply)


def _plan(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    config = load_config(args.config)
    resource = build_load_time_resource(config)
    file = find_config_path(args.config)
    path = state_path(file, args.state, os.environ)
    client = resource.get_client()
    result = make_plan(
        config,
        client,
        state_file=path,
        environ=os.environ,
        prune=args.prune,
        workspace_id=resource.workspace_id,
    )
    result.state.airbyte_url = resource.url
    return result


def run_plan(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """`airbyte-ops plan`: print the diff; exit 0 / 2 / 1."""
    out = out or sys.stdout
    result = _plan(args)
    print(render_plan(result), file=out)
    if result.problems:
        return EXIT_ERROR
    return EXIT_PENDING if result.pending else EXIT_NO_CHANGES


def run_apply(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """`airbyte-ops apply`: show the plan, confirm, write; exit 0 done (or nothing to do), 1 error."""
    out = out or sys.stdout
    result = _plan(args)
    print(render_plan(result), file=out)
    blocked = refusals(result, allow_replace=args.replace)
    if blocked:
        print("\nNot applied:", file=out)
        for line in blocked:
            print(f"  {line}", file=out)
        return EXIT_ERROR
    if not result.pending:
        print("\nNothing to apply.", file=out)
        return EXIT_NO_CHANGES
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                "\nNot applied: not on a terminal, so nobody can confirm; "
                "rerun with --yes to apply this plan",
                file=out,
            )
            return EXIT_ERROR
        try:
            answer = input("\nApply these changes? Only 'yes' applies: ")
        except EOFError:
            answer = ""
        if answer.strip() != "yes":
            print("Not applied.", file=out)
            return EXIT_ERROR
    print("", file=out)
    try:
        apply_plan(result, allow_replace=args.replace, say=lambda line: print(line, file=out))
    except ApplyError as error:
        print("\nApply stopped:", file=out)
        for line in str(error).splitlines():
            print(f"  {line}", file=out)
        print("Everything before this step is done and recorded; fix it and run apply again.", file=out)
        return EXIT_ERROR
    print("Apply complete.", file=out)
    return EXIT_NO_CHANGES
