"""Property-based tests of the API against its own OpenAPI document (schemathesis), over HTTP against a real server
(``factorscope serve`` in its own process, uvicorn) on a fresh home that holds one trained run.

Every check runs: no 5xx, status codes, content types, headers and bodies as documented, invalid data rejected,
valid data accepted. Valid data may still get a 422 (``positive_data_acceptance`` is told so, below): some rules
depend on the run and cannot live in a static schema (a latent vector's length is the run's K, a dim must be below
K, an item below the dataset's size, a family config must fit that family). Limits that are settings are in the
schema (backend/schemas/limits.py), so a schema-valid request is never refused for one.

Every operation on a run reads the trained run ``tiny`` (random ids would only meet 404s), except the deletes,
which get a copy of it of their own (``doomed``), so that the other operations keep theirs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import schemathesis
from conftest import RUN
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import allow_header_conformance, unsupported_method
from test_api_serve import ROOT, free_port, wait_healthy

from backend.config import Settings
from backend.main import create_app

DOOMED = "doomed"
# The document, built here with the settings the server reads (none set but its home, port, device and database,
# which it does not show): schemathesis parametrizes at import, before the server starts (its lazy fixture loader
# fails under pytest 9); the first test checks that the server serves exactly this document.
DOC = create_app(Settings(home=Path("unused"))).openapi()
# positive_data_acceptance's default statuses (5xx left out: never), 422 for the run-dependent rules above, and 413:
# a body's byte limit (max_body_bytes) is no JSON-schema keyword, so a long list or text within its schema can still
# make a body too large (both are documented answers). 400 and 415 stay failures.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "413", "422", "429", "503"]
CONFIG = SchemathesisConfig.from_dict({
    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
    "parameters": {"path.run_id": RUN},
    "operations": [{"include-name": "DELETE /api/v1/runs/{run_id}", "parameters": {"path.run_id": DOOMED}}],
})
schema = schemathesis.openapi.from_dict(DOC, config=CONFIG)
# the write operations alone (schema.include(method=...) does not narrow what pytest parametrizes over)
WRITES = schemathesis.openapi.from_dict({**DOC, "paths": {
    path: writes for path, operations in DOC["paths"].items()
    if (writes := {verb: op for verb, op in operations.items() if verb in ("post", "put", "delete")})}}, config=CONFIG)


@contextmanager
def serving(home: Path, **settings: str) -> Iterator[str]:
    """``factorscope serve`` on ``home`` with these FACTORSCOPE_* settings, its output in ``home/server.log``."""
    port = free_port()
    env = {**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_API_PORT": str(port), "FACTORSCOPE_DEVICE": "cpu",
           "FACTORSCOPE_DATABASE_URL": f"sqlite:///{home}/jobs.db", **{f"FACTORSCOPE_{k.upper()}": v
                                                                      for k, v in settings.items()}}
    with (home / "server.log").open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base
    finally:
        proc.terminate()  # SIGTERM: uvicorn finishes the requests in flight, then stops
        proc.wait(30)


@pytest.fixture(scope="module")
def api_url(trained_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on a fresh home: the trained run and its copy for the deletes."""
    home = tmp_path_factory.mktemp("schemathesis-home")
    shutil.copytree(trained_home / "runs" / RUN, home / "runs" / RUN)
    shutil.copytree(trained_home / "runs" / RUN, home / "runs" / DOOMED)
    with serving(home) as base:
        yield base


@pytest.fixture(scope="module")
def viewer_server(trained_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(URL, a viewer's token) of a real server with auth on, reads closed too, on a home with the trained run."""
    home = tmp_path_factory.mktemp("schemathesis-auth-home")
    shutil.copytree(trained_home / "runs" / RUN, home / "runs" / RUN)
    env = {**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_DATABASE_URL": f"sqlite:///{home}/jobs.db"}
    token = subprocess.run([sys.executable, "-m", "backend.cli", "token", "create", "--role", "viewer", "--name",
                            "schemathesis"], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    with serving(home, auth="on", auth_reads="true") as base:
        yield base, token.strip()


def test_the_server_serves_the_document_tested(api_url: str) -> None:
    assert httpx.get(f"{api_url}/openapi.json", timeout=120).json() == DOC  # built on first request: slow on a busy CPU


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case: schemathesis.Case, api_url: str) -> None:
    case.call_and_validate(base_url=api_url)


@WRITES.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_with_auth_on_a_viewer_writes_nothing_and_every_refusal_is_documented(
        case: schemathesis.Case, viewer_server: tuple[str, str]) -> None:
    url, token = viewer_server
    # every check but the two about methods a path does not declare: this document holds the writes alone, so a GET
    # of a path with a read rightly answers, and a 405's Allow header rightly names that read (the whole document's
    # test above runs both checks)
    response = case.call_and_validate(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                      excluded_checks=[allow_header_conformance, unsupported_method])
    if case.method.upper() == case.operation.method.upper():  # not a probe with a method the path may read by
        assert 400 <= response.status_code < 500, response.text  # 403 (too small a role), or a malformed request
