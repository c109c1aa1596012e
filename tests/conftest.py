"""Shared fixtures: the OpenAPI response validator and spec-checked Airbyte emulators.

Every response an emulator started by the tests serves on Airbyte's paths is checked against Airbyte's
own OpenAPI files (vendored in ``tests/airbyte-api``) when the test that caused it ends: the ``emulator``
and ``spec_checked_emulators`` fixtures here and the client tests' session-scoped servers all record
through :class:`ResponseRecorder`. A test fails if any response does not match its path's schema or uses
a status code the spec does not declare, unless :data:`SPEC_ALLOWLIST` documents why Airbyte itself
differs from its spec there.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
import skips
import yaml

from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings

#: Airbyte's OpenAPI files, vendored unmodified (see airbyte-api/README.md and SOURCE.md).
SPEC_DIR = Path(__file__).resolve().parent / "airbyte-api"
CONFIG_SPEC = SPEC_DIR / "config.yaml"
PUBLIC_SPEC = SPEC_DIR / "api.yaml"
PROBLEMS_SPEC = SPEC_DIR / "api-problems.yaml"


@dataclass(frozen=True)
class Allowed:
    """One documented divergence between Airbyte's spec and what Airbyte (and the emulator) does."""

    path: str  # regex on the request path
    reason: str
    status: int | None = None  # an undeclared status code that is fine on this path
    error: str | None = None  # a schema-error message fragment that is fine on this path


SPEC_ALLOWLIST: tuple[Allowed, ...] = (
    Allowed(
        r"^/api/v1/",
        "AirbyteStream requires 'json_schema' but names the property 'jsonSchema' (additionalProperties: "
        "false); the server sends jsonSchema",
        error="'json_schema' is a required property",
    ),
    Allowed(r".", "authentication failures come from Airbyte's auth filter, outside the spec", status=401),
    Allowed(
        r"^/api/v1/connections/(sync|reset|refresh|clear|reset/stream|clear/stream)$",
        "SOURCE.md: a second sync (or clear, refresh) while one runs is refused with 409",
        status=409,
    ),
    Allowed(
        r"^/api/v1/connections/(sync|reset)$",
        "SOURCE.md: syncing an inactive connection is a 500",
        status=500,
    ),
    Allowed(
        r"^/(api/public/)?v1/jobs(/\d+)?$",
        "SOURCE.md: POST /jobs while a sync runs and DELETE of a finished job are 409 problems",
        status=409,
    ),
    Allowed(
        r"^/(api/public/)?v1/jobs$",
        "SOURCE.md: POST /jobs with jobType refresh is a 422 problem (JobsController.kt)",
        status=422,
    ),
    Allowed(
        r"^/(api/public/)?v1/", "unknown ids are 404 problems even where only 403 is declared", status=404
    ),
    Allowed(r"^/(api/public/)?v1/applications/token$", "bad client credentials answer 401", status=401),
    Allowed(
        r"^/(api/public/)?v1/",
        "a request breaking the spec's own parameter or body schema (e.g. limit outside 1-100, SOURCE.md; "
        "a wrongly typed field) is refused with a 400 bad-request problem; the spec only declares "
        "responses to valid requests",
        status=400,
    ),
    Allowed(
        r"^/(api/public/)?v1/(sources|destinations)(/[0-9a-f-]+)?$",
        "SOURCE.md: a configuration failing the connector's specification is a 422 unprocessable-entity "
        "problem (SourceHandler.validateSource); the spec does not declare it",
        status=422,
    ),
    Allowed(
        r"^/api/v1/",
        "an id naming nothing is a 404 (IdNotFoundKnownException) on every operation, also where the spec "
        "declares only 422 (e.g. sources/create with an unknown definition or workspace)",
        status=404,
    ),
    Allowed(
        r"^/api/v1/",
        "a required field missing or null fails bean validation: Airbyte's InvalidInputExceptionHandler "
        "answers 400 InvalidInputExceptionInfo, on operations that declare only 404/422 too",
        status=400,
    ),
    Allowed(
        r"^/api/v1/",
        "a body Jackson cannot map onto the request model is a 422 (InvalidJsonInputExceptionHandler) on "
        "every operation, declared or not",
        status=422,
    ),
    Allowed(
        r"^/api/v1/",
        "Airbyte's 422 for unparsable or unmappable JSON is a KnownExceptionInfo (InvalidJson[Input]"
        "ExceptionHandler), without the validationErrors the spec's InvalidInputExceptionInfo requires",
        error="'validationErrors' is a required property",
    ),
    Allowed(
        r"^/api/v1/",
        "Airbyte 2.0 answers invalid input with only {errorId} (airbyte-platform 75054177, 'remove "
        "security risk data from error responses'); the spec still requires message",
        error="'message' is a required property",
    ),
    Allowed(
        r"^/api/v1/workspaces/list$",
        "removed from the spec in Airbyte 1.7, still served by the older profiles",
    ),
)


def _allowed(path: str, status: int | None = None, error: str | None = None) -> Allowed | None:
    for a in SPEC_ALLOWLIST:
        if not re.search(a.path, path):
            continue
        if status is not None and a.status == status:
            return a
        if error is not None and a.error and a.error in error:
            return a
        if status is None and error is None and a.status is None and a.error is None:
            return a
    return None


class OpenAPIResponseValidator:
    """Validates emulator responses against config.yaml, api.yaml and api-problems.yaml."""

    def __init__(self) -> None:
        from openapi_core import Config, OpenAPI
        from openapi_schema_validator import OAS31Validator

        # The published files contain a few dangling $refs in paths the emulator does not serve, so
        # whole-spec validation is off; each response is still checked against its own operation.
        config = Config(spec_validator_cls=None)
        self.config_api = OpenAPI.from_file_path(str(CONFIG_SPEC), config=config)
        self.public_api = OpenAPI.from_file_path(str(PUBLIC_SPEC), config=config)
        problems = yaml.safe_load(PROBLEMS_SPEC.read_text())
        base = problems["components"]["schemas"]["BaseProblemFields"]
        self.problem_validator = OAS31Validator(base)

    def validate(
        self,
        method: str,
        path: str,
        query: str,
        request_body: bytes,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> list[str]:
        """Problems with one response (empty when it matches the spec or the allow-list)."""
        from openapi_core.templating.paths.exceptions import PathNotFound
        from openapi_core.templating.responses.exceptions import ResponseNotFound
        from openapi_core.testing import MockRequest, MockResponse

        if headers.get("x-emulator-fault"):
            return []  # fabricated by fault injection on purpose
        if path.startswith("/api/public/v1/") or path.startswith("/v1/"):
            spec, host, spec_path = (
                self.public_api,
                "https://api.airbyte.com",
                "/v1/" + path.split("/v1/", 1)[1],
            )
            public = True
        elif path.startswith("/api/v1/"):
            spec, host, spec_path, public = self.config_api, "http://localhost:8000", path, False
        else:
            return []
        if _allowed(path) is not None:
            return []
        where = f"{method} {path} → {status}"
        content_type = headers.get("content-type", "application/json").split(";")[0]
        if public and status >= 400 and body:
            try:
                errors = [e.message for e in self.problem_validator.iter_errors(json.loads(body))]
            except ValueError:
                errors = ["error body is not JSON"]
            if errors:
                return [f"{where}: not a problem document: {errors}"]
        request = MockRequest(
            host,
            method.lower(),
            spec_path,
            args=dict(parse_qsl(query)),
            data=request_body or None,
            content_type="application/json",
        )
        response = MockResponse(body, status_code=status, headers=headers, content_type=content_type)
        try:
            spec.validate_response(request, response)
        except ResponseNotFound:
            if _allowed(path, status=status) is None:
                return [f"{where}: status {status} is not declared by the spec"]
        except PathNotFound:
            if status != 404:  # a 404 for a route the spec lacks is exactly right
                return [f"{where}: path is not in the spec"]
        except Exception as exc:  # openapi-core raises a family of errors; collect the schema ones
            cause = exc.__cause__
            schema_errors = getattr(cause, "schema_errors", None)
            if not schema_errors:
                if public and status >= 400:
                    return []  # body already checked as a problem document above
                return [f"{where}: {type(exc).__name__}: {str(exc)[:300]}"]
            remaining = [
                f"{'/'.join(map(str, e.path))}: {e.message[:200]}"
                for e in schema_errors
                if _allowed(path, error=e.message) is None
            ]
            if remaining:
                return [f"{where}: {remaining[:5]}"]
        return []


@pytest.fixture(scope="session")
def openapi_validator() -> OpenAPIResponseValidator:
    """The three Airbyte spec files, loaded once per session."""
    return OpenAPIResponseValidator()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium (AIRBYTE_OPS_SKIP=browser leaves it out)"
    )
    skips.requested(config)  # an unknown part name stops the run before anything starts
    config.addinivalue_line(
        "markers",
        "emulator(**settings): EmulatorSettings overrides for the emulator fixture",
    )
    config.addinivalue_line(
        "markers",
        "dagster_instance(**overrides): dagster.yaml settings for the dagster_instance fixture's instances "
        "(e.g. run_coordinator=...); the storage is the fixture's; postgres_timezone='America/Los_Angeles' "
        "sets PostgreSQL's session time zone (Dagster writes some run timestamps in it)",
    )


_SETTING_NAMES = {f.name for f in fields(EmulatorSettings)}


class ResponseRecorder:
    """An emulator ``response_hook`` that keeps every response until the test that caused it ends.

    One instance may serve several emulators (the client tests' session-scoped servers share one); the
    test that owns the recorder calls :meth:`clear` when it starts and :meth:`assert_valid` when it ends.
    The emulator calls the hook before the last byte of a response goes out, so a response the test has
    read is always recorded by then.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._responses: list[tuple[Any, ...]] = []

    def __call__(self, *response: Any) -> None:
        with self._lock:
            self._responses.append(response)

    def clear(self) -> None:
        """Forget everything recorded so far (e.g. traffic of an earlier test on a shared server)."""
        with self._lock:
            self._responses.clear()

    def assert_valid(self, validator: OpenAPIResponseValidator) -> None:
        """Validate and forget the recorded responses; fail the current test if any breaks the spec."""
        with self._lock:
            responses, self._responses = self._responses, []
        problems: list[str] = []
        for response in responses:
            problems.extend(validator.validate(*response))
        if problems:
            pytest.fail(
                "responses not matching Airbyte's OpenAPI spec:\n" + "\n".join(problems[:30]), pytrace=False
            )


@pytest.fixture(scope="session")
def emulator_responses() -> ResponseRecorder:
    """A recorder for emulators that outlive one test (the client tests' session-scoped servers).

    Whoever starts such servers with this as ``response_hook`` must also clear it as each test starts
    and :meth:`~ResponseRecorder.assert_valid` it as the test ends (an autouse fixture does both).
    """
    return ResponseRecorder()


@pytest.fixture
def spec_checked_emulators(
    openapi_validator: OpenAPIResponseValidator,
) -> Iterator[Callable[..., EmulatorServer]]:
    """``spec_checked_emulators(settings)``: start extra emulators whose responses are validated at teardown.

    For tests that need a server besides (or instead of) the ``emulator`` fixture; takes the same
    arguments as :class:`EmulatorServer` except ``response_hook``.
    """
    recorder = ResponseRecorder()
    servers: list[EmulatorServer] = []

    def start(settings: EmulatorSettings | None = None, **kwargs: Any) -> EmulatorServer:
        server = EmulatorServer(settings, response_hook=recorder, **kwargs)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()
    recorder.assert_valid(openapi_validator)


@pytest.fixture
def emulator(
    request: pytest.FixtureRequest, spec_checked_emulators: Callable[..., EmulatorServer]
) -> EmulatorServer:
    """A spec-checked emulator on a free port (seed ``demo``; short jobs).

    Override settings with ``@pytest.mark.emulator(auth="basic", airbyte_version="2.0", ...)`` or indirect
    parametrization with a dict.
    """
    overrides: dict[str, Any] = {"default_job_duration_s": 1.0}
    marker = request.node.get_closest_marker("emulator")
    if marker is not None:
        overrides.update(marker.kwargs)
    if hasattr(request, "param") and isinstance(request.param, dict):
        overrides.update(request.param)
    unknown = set(overrides) - _SETTING_NAMES
    if unknown:
        raise pytest.UsageError(f"unknown emulator settings: {sorted(unknown)}")
    return spec_checked_emulators(EmulatorSettings(**overrides), port=0)


# ---- Dagster instances: SQLite (the default) and PostgreSQL (production) -------------------------


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server per test process (xdist worker), stopped at the end."""
    from postgres_server import INSTALL_HINT, PostgresServer, find_pg_bin

    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.fail(
            f"PostgreSQL is missing: {INSTALL_HINT}; or leave these tests out: AIRBYTE_OPS_SKIP=postgres",
            pytrace=False,
        )
    server = PostgresServer.start(bin_dir)
    yield server
    server.stop()


def _sqlalchemy_url(url: str, timezone: str | None = None) -> str:
    # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; dagster-postgres ships psycopg2.
    url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    if timezone:  # the session's TimeZone, as a server configured in another zone would set it
        url += "?options=" + quote(f"-c timezone={timezone}", safe="")
    return url


@pytest.fixture(scope="session")
def dagster_postgres_template(postgres_server, tmp_path_factory):
    """A database with Dagster's schema already migrated; each test's database is a copy (fast)."""
    import dagster as dg

    url = postgres_server.new_database()
    home = tmp_path_factory.mktemp("dagster_template_home")
    overrides = {"storage": {"postgres": {"postgres_url": _sqlalchemy_url(url)}}}
    with dg.instance_for_test(overrides=overrides, temp_dir=str(home)):
        pass
    return url.rsplit("/", 1)[1]


STORAGES = ["sqlite", "postgres"]
NO_COMPUTE_LOGS = {
    "module": "dagster._core.storage.noop_compute_log_manager",
    "class": "NoOpComputeLogManager",
}


@contextmanager
def _instance_on(storage: str, request: pytest.FixtureRequest, home: Path) -> Iterator[Any]:
    import dagster as dg

    marker = request.node.get_closest_marker("dagster_instance")
    # No stdout/stderr capture unless a test asks: Dagster captures a run's output with `tail -F`
    # processes whose clean-up can stall for a minute when the run executes in a test's background
    # thread (seen under load). Tests of compute logs use their own DAGSTER_HOME and the CLI.
    overrides: dict = {"compute_logs": NO_COMPUTE_LOGS, **(marker.kwargs if marker else {})}
    timezone = overrides.pop("postgres_timezone", None)
    if storage == "postgres":
        server = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("dagster_postgres_template")
        url = _sqlalchemy_url(server.new_database(template=template), timezone)
        overrides["storage"] = {"postgres": {"postgres_url": url}}
    home.mkdir(parents=True)
    with dg.instance_for_test(overrides=overrides, temp_dir=str(home)) as instance:
        yield instance


@pytest.fixture(params=STORAGES)
def dagster_instance(request, tmp_path):
    """A real Dagster instance on each storage Dagster runs on: SQLite and PostgreSQL.

    Tests of anything Dagster stores (materializations, runs, ticks, sensor cursors, pools) take this
    fixture, so they prove the behaviour on the production storage too. A module whose tests are many
    near-identical cases lists the few that also run on PostgreSQL in ``POSTGRES_TESTS`` (test function
    names); its other tests that take this fixture run on SQLite only (see ``pytest_generate_tests``).
    """
    with _instance_on(request.param, request, tmp_path / "dagster_home") as instance:
        yield instance


@pytest.fixture
def another_dagster_instance(request, tmp_path):
    """``another_dagster_instance()``: a second, empty instance on the same storage as ``dagster_instance``
    (for a test that compares a fresh deployment with one that has history)."""
    storage = request.node.callspec.params["dagster_instance"]
    stack = ExitStack()
    homes = count()

    def make() -> Any:
        home = tmp_path / f"dagster_home_{next(homes) + 2}"
        return stack.enter_context(_instance_on(storage, request, home))

    with stack:
        yield make


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skips.apply(config, items)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    skips.banner(terminalreporter, config)


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests outside their module's ``POSTGRES_TESTS`` take ``dagster_instance`` on SQLite only.

    Runs before pytest expands the fixture's params: a parametrize mark on the argument takes precedence
    over them. Modules without ``POSTGRES_TESTS`` run every such test on both storages.
    """
    subset = getattr(metafunc.module, "POSTGRES_TESTS", None)
    if subset is None or "dagster_instance" not in metafunc.fixturenames:
        return
    if metafunc.function.__name__ in subset:
        return
    if any("dagster_instance" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize")):
        return  # the test chose its storages itself
    metafunc.definition.add_marker(pytest.mark.parametrize("dagster_instance", ["sqlite"], indirect=True))


@pytest.fixture(autouse=True)
def _no_token_from_another_test() -> Iterator[None]:
    """Each test starts without client-credential tokens, as a fresh process does: the process-wide
    token sharing (client/_auth.py) would otherwise hand one test's token to the next on a reused port."""
    from dagster_airbyte_ops.client._auth import SHARED_TOKENS

    SHARED_TOKENS.clear()
    yield
