"""`airbyte_sync_executor`: the steps of a run as threads of the run worker.

A sync step spends its life waiting for Airbyte; it needs no CPU of its own. Dagster's
default multiprocess executor starts one process per step and runs as many as the machine has cores,
so a run of 20 connections on two cores syncs two at a time (and raising its `max_concurrent` makes
20 processes each import Dagster and rebuild the definitions before the first sync can start: see
docs/concurrency.md for the figures). `airbyte_sync_executor` runs every step of a run in a thread of
the run worker instead, up to `max_concurrent` (default 64) at once: 20 syncs start within a
fraction of a second of each other. It keeps what a Dagster executor promises: retries, step
dependencies, tag concurrency limits, pools (slots are claimed before a step starts), hooks, and
termination (terminating the run wakes every waiting sync, which cancels its Airbyte job as
`cancel_on_termination` says; see `sleep_unless_interrupted`; other steps finish first). It needs no
reconstructable job and works on any instance. Steps of your own CPU-heavy assets would share the
run worker's GIL under it: give such code locations Dagster's multiprocess executor
(`build_definitions(config, executor=dg.multiprocess_executor)`).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster._core.events import EngineEventData
from dagster._core.execution.api import ExecuteRunWithPlanIterable
from dagster._core.execution.compute_logs import create_compute_log_file_key
from dagster._core.execution.context.system import (
    PlanExecutionContext,
    PlanOrchestrationContext,
    StepExecutionContext,
)
from dagster._core.execution.context_creation_job import PlanExecutionContextManager
from dagster._core.execution.plan.execute_plan import _trigger_hook, dagster_event_sequence_for_step
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.retries import RetryMode, get_retries_config
from dagster._core.execution.step_dependency_config import (
    StepDependencyConfig,
    get_step_dependency_config_field,
)
from dagster._core.execution.tags import get_tag_concurrency_limits_config
from dagster._core.executor.base import Executor
from dagster._utils.error import serializable_error_info_from_exc_info

from ..resource.interrupts import mark_step_thread

DEFAULT_MAX_CONCURRENT_STEPS = 64
#: Instances whose storages already keep their connections open (once per instance, not per run).
_POOLED: weakref.WeakSet[dg.DagsterInstance] = weakref.WeakSet()
#: How long the orchestrating thread waits for a step event before looking for steps to start.
_EVENT_WAIT_S = 0.1


# ---- the executor -------------------------------------------------------------------------------


class _Done:
    """Queue marker: the step's thread has finished (with the exception that ended it, if any)."""

    def __init__(self, exc_info: Any = None) -> None:
        self.exc_info = exc_info


@dataclass
class _Running:
    thread: threading.Thread
    context: StepExecutionContext
    interrupted: threading.Event = field(default_factory=threading.Event)
    events: list[dg.DagsterEvent] = field(default_factory=list)


def _run_step(
    step_key: str, context: StepExecutionContext, events: queue.Queue[Any], interrupted: threading.Event
) -> None:
    mark_step_thread(interrupted)
    try:
        for event in dagster_event_sequence_for_step(context):
            events.put((step_key, event))
    except BaseException:  # reported to the orchestrating thread, which fails the run with it
        events.put((step_key, _Done(sys.exc_info())))
        return
    events.put((step_key, _Done()))


class ThreadedStepExecutor(Executor):
    """Runs the steps of a run in threads of the run worker, at most `max_concurrent` at once."""

    def __init__(
        self,
        retries: RetryMode,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT_STEPS,
        tag_concurrency_limits: list[dict[str, Any]] | None = None,
        step_dependency_config: StepDependencyConfig | None = None,
    ) -> None:
        if max_concurrent < 1:
            raise dg.DagsterInvalidConfigError(
                f"max_concurrent must be at least 1, got {max_concurrent}", [], max_concurrent
            )
        self._retries = retries
        self._max_concurrent = max_concurrent
        self._tag_concurrency_limits = tag_concurrency_limits
        self._step_dependency_config = step_dependency_config or StepDependencyConfig.default()

    @property
    def retries(self) -> RetryMode:
        return self._retries

    @property
    def step_dependency_config(self) -> StepDependencyConfig:
        return self._step_dependency_config

    def execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[dg.DagsterEvent]:
        keep_connections_open(plan_context.instance, self._max_concurrent)
        yield dg.DagsterEvent.engine_event(
            plan_context,
            f"Executing steps in threads of process {os.getpid()}, at most {self._max_concurrent} at once",
            event_specific_data=EngineEventData.in_process(os.getpid(), execution_plan.step_keys_to_execute),
        )
        yield from ExecuteRunWithPlanIterable(
            execution_plan=plan_context.execution_plan,
            iterator=self._plan_iterator,
            execution_context_manager=PlanExecutionContextManager(
                job=plan_context.job,
                retry_mode=plan_context.retry_mode,
                execution_plan=plan_context.execution_plan,
                run_config=plan_context.run_config,
                dagster_run=plan_context.dagster_run,
                instance=plan_context.instance,
                raise_on_error=plan_context.raise_on_error,
                output_capture=plan_context.output_capture,
                step_dependency_config=self.step_dependency_config,
            ),
        )

    def _plan_iterator(
        self, job_context: PlanExecutionContext, execution_plan: ExecutionPlan
    ) -> Iterator[dg.DagsterEvent]:
        """Dagster's in-process plan loop, with each step's event sequence run in its own thread."""
        log_manager = job_context.instance.compute_log_manager
        step_keys = [step.key for step in execution_plan.get_steps_to_execute_in_topo_order()]
        events: queue.Queue[Any] = queue.Queue()
        running: dict[str, _Running] = {}
        interrupted = False
        with (
            InstanceConcurrencyContext(job_context.instance, job_context.dagster_run) as pools,
            execution_plan.start(
                retry_mode=job_context.retry_mode,
                max_concurrent=self._max_concurrent,
                tag_concurrency_limits=self._tag_concurrency_limits,
                instance_concurrency_context=pools,
                step_dependency_config=job_context.step_dependency_config,
            ) as active,
        ):
            # One capture of stdout/stderr for the whole process (threads share the file descriptors).
            log_key = log_manager.build_log_key_for_run(job_context.run_id, create_compute_log_file_key())
            with log_manager.capture_logs(log_key) as log_context:
                yield dg.DagsterEvent.capture_logs(job_context, step_keys, log_key, log_context)
                try:
                    while running or (not interrupted and not active.is_complete):
                        if not interrupted and active.check_for_interrupts():
                            interrupted = True
                            active.mark_interrupted()
                            yield dg.DagsterEvent.engine_event(
                                job_context,
                                "Run interrupted: interrupting the running steps "
                                f"({', '.join(sorted(running))})",
                                EngineEventData.interrupted(list(running)),
                            )
                            for item in running.values():
                                item.interrupted.set()
                        if not interrupted:
                            yield from self._start_steps(job_context, active, events, running)
                        yield from self._drain(job_context, active, events, running)
                except BaseException:
                    for item in running.values():
                        item.interrupted.set()
                    for item in running.values():
                        item.thread.join(timeout=60)
                    raise

    def _start_steps(
        self,
        job_context: PlanExecutionContext,
        active: Any,
        events: queue.Queue[Any],
        running: dict[str, _Running],
    ) -> Iterator[dg.DagsterEvent]:
        steps = active.get_steps_to_execute(limit=self._max_concurrent - len(running))
        yield from active.concurrency_event_iterator(job_context)
        for step in steps:
            context = job_context.for_step(step, active.get_known_state())
            missing = [k for k in context.required_resource_keys if not hasattr(context.resources, k)]
            if missing:
                raise dg.DagsterInvariantViolationError(f"step {step.key} is missing resources {missing}")
            interrupted = threading.Event()
            thread = threading.Thread(
                target=_run_step,
                args=(step.key, context, events, interrupted),
                name=f"step:{step.key}",
                daemon=True,
            )
            running[step.key] = _Running(thread=thread, context=context, interrupted=interrupted)
            thread.start()

    def _drain(
        self,
        job_context: PlanExecutionContext,
        active: Any,
        events: queue.Queue[Any],
        running: dict[str, _Running],
    ) -> Iterator[dg.DagsterEvent]:
        """Pass on the events the steps produced, and finish the steps whose thread has ended."""
        try:
            step_key, item = events.get(timeout=_EVENT_WAIT_S)
        except queue.Empty:
            return
        while True:
            current = running[step_key]
            if isinstance(item, _Done):
                current.thread.join()
                del running[step_key]
                if item.exc_info is not None and not isinstance(
                    item.exc_info[1], (dg.DagsterExecutionInterruptedError, KeyboardInterrupt)
                ):
                    yield dg.DagsterEvent.engine_event(
                        job_context,
                        f"Step {step_key} raised outside of its own error handling",
                        EngineEventData.engine_error(serializable_error_info_from_exc_info(item.exc_info)),
                    )
                    raise item.exc_info[1]
                active.verify_complete(job_context, step_key)
                for event in active.plan_events_iterator(job_context):
                    current.events.append(event)
                    yield event
                yield from _trigger_hook(current.context, current.events)
            else:
                current.events.append(item)
                yield item
                active.handle_event(item)
            try:
                step_key, item = events.get_nowait()
            except queue.Empty:
                return


def keep_connections_open(instance: dg.DagsterInstance, max_concurrent: int) -> None:
    """Let the instance's storages keep a database connection open for the rest of the run worker.

    dagster-postgres (and dagster-mysql) open a new connection for every event they store, unless the
    process is a long-lived webserver; a run of 20 connections x 10 streams stores about 1,200 events
    once the syncs end, and a new PostgreSQL connection costs ten times the insert (measured: 27 ms
    against 2.6 ms per stored event). The run worker lives as long as its run, so it takes the
    webserver's setting through the instance's own `optimize_for_webserver`: one pooled connection,
    up to one more per step thread at once, no statement timeout (PostgreSQL's default; a timeout
    set in the storage URL's options is overridden). SQLite's storage ignores it. Once per instance.
    """
    if instance in _POOLED:
        return
    _POOLED.add(instance)
    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=max_concurrent)


SYNC_EXECUTOR_CONFIG = {
    "max_concurrent": dg.Field(
        int,
        default_value=DEFAULT_MAX_CONCURRENT_STEPS,
        description="How many steps run at once (threads of the run worker). Airbyte syncs wait on "
        "Airbyte, so this can be far above the number of cores.",
    ),
    "tag_concurrency_limits": get_tag_concurrency_limits_config(),
    "retries": get_retries_config(),
    "step_dependency_config": get_step_dependency_config_field(),
}


@dg.executor(name="airbyte_sync_executor", config_schema=SYNC_EXECUTOR_CONFIG)
def airbyte_sync_executor(init_context: dg.InitExecutorContext) -> ThreadedStepExecutor:
    """Runs every step of a run in threads of the run worker, `max_concurrent` (64) at once.

    Meant for runs of Airbyte syncs, which wait rather than compute. Run config can change it:
    `execution: {config: {max_concurrent: 16}}`.
    """
    config = init_context.executor_config
    return ThreadedStepExecutor(
        retries=RetryMode.from_config(config["retries"]),  # type: ignore[arg-type]
        max_concurrent=config["max_concurrent"],  # type: ignore[arg-type]
        tag_concurrency_limits=config.get("tag_concurrency_limits"),  # type: ignore[arg-type]
        step_dependency_config=StepDependencyConfig.from_config(
            config.get("step_dependency_config")  # type: ignore[arg-type]
        ),
    )
