"""Property-based tests of the API against its own OpenAPI document (schemathesis), over HTTP against a real server
(``factorscope serve`` in its own process, uvicorn) on a fresh demo home: what ``factorscope prepare`` leaves, as
``make demo`` runs it (``demo_home`` in conftest.py: made once per test session).

Every check runs: no 5xx, status codes, content types, headers and bodies as documented, invalid data rejected,
valid data accepted. Valid data may still get a 422 (``positive_data_acceptance`` is told so, below): some rules
depend on the run and cannot live in a static schema (a latent vector's length is the run's K, a dim must be below
K, an item below the dataset's size, a family config must fit that family). Limits that are settings are in the
schema (backend/schemas/limits.py), so a schema-valid request is never refused for one.

Every operation reads the demo's ids (random ones would only meet 404s): the digits VAE, its lens, the labelling
session prepare opened on it and the evaluation job it queued; the groups heatmap reads the bars oi-VAE. The deletes
and the session's close get their own (``doomed``: a copy of the VAE, a copy of the lens, a second session), so that
the other operations keep theirs. The run reads also run on every other demo run (both oi-VAEs, the beta-TCVAE
installed from its bundled weights with its evaluation still queued, and the lens). Ids the demo draws at random
(sessions, jobs) are placeholders in the configuration, replaced in each case by the server's (``with_ids``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import BaseModel, ValidationError
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import allow_header_conformance, unsupported_method
from test_api_serve import ROOT, free_port, wait_healthy

from backend.config import Settings
from backend.demo_runs import DEMO_LENS, DEMO_RUNS
from backend.main import create_app
from backend.schemas.labelling import EventCreate, LabelCreate
from backend.schemas.lenses import OracleSource

RUN, LENS = DEMO_LENS.base_run, DEMO_LENS.lens_id
OI_VAE = next(demo.run_id for demo in DEMO_RUNS if demo.family == "oi_vae")
OTHER_RUNS = (*(demo.run_id for demo in DEMO_RUNS if demo.run_id != RUN), LENS)
DOOMED, DOOMED_LENS = "doomed", "doomed-lens"
SESSION, DOOMED_SESSION, JOB = "demo-session", "doomed-session", "demo-job"  # placeholders (``with_ids``)
# a home made by `factorscope prepare` beforehand (.ci/run makes one), only read: the servers get copies of it
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
    "parameters": {"path.run_id": RUN, "path.lens_id": LENS, "path.session_id": SESSION, "path.job_id": JOB},
    "operations": [
        {"include-name": "DELETE /api/v1/runs/{run_id}", "parameters": {"path.run_id": DOOMED}},
        {"include-name": "DELETE /api/v1/runs/{run_id}/lenses/{lens_id}", "parameters": {"path.lens_id": DOOMED_LENS}},
        {"include-name": "POST /api/v1/label-sessions/{session_id}/close",
         "parameters": {"path.session_id": DOOMED_SESSION}},
        {"include-name": "GET /api/v1/runs/{run_id}/groups/heatmap", "parameters": {"path.run_id": OI_VAE}},
    ],
})
schema = schemathesis.openapi.from_dict(DOC, config=CONFIG)
# the write operations alone (schema.include(method=...) does not narrow what pytest parametrizes over)
WRITES = schemathesis.openapi.from_dict({**DOC, "paths": {
    path: writes for path, operations in DOC["paths"].items()
    if (writes := {verb: op for verb, op in operations.items() if verb in ("post", "put", "delete")})}}, config=CONFIG)
# the reads of a run alone, for the other demo runs
RUN_READS = schemathesis.openapi.from_dict({**DOC, "paths": {
    path: {"get": operations["get"]} for path, operations in DOC["paths"].items()
    if path.startswith("/api/v1/runs/{run_id}") and "get" in operations}}, config=CONFIG)
# a document of some operations only: a method of a path it leaves out rightly answers, and a 405's Allow header
# rightly names it (the whole document's test runs both checks)
PARTIAL_DOCUMENT_EXCLUDED = [allow_header_conformance, unsupported_method]


class Api(NamedTuple):
    """A real server: its URL, the headers of every call, and the ids that replace the placeholders."""

    url: str
    headers: dict[str, str]
    ids: dict[str, str]


def database_url(home: Path) -> str:
    """The database ``factorscope prepare`` used in ``home``: the default one (backend/config.py)."""
    return Settings(home=home).database_url


def doomed_home(demo_home: Path, target: Path) -> Path:
    """A copy of the demo home with copies of the digits VAE and its lens for the deletes."""
    shutil.copytree(demo_home, target)
    shutil.copytree(target / "runs" / RUN, target / "runs" / DOOMED)
    shutil.copytree(target / "runs" / LENS, target / "runs" / DOOMED_LENS)
    return target


def demo_ids(url: str, headers: dict[str, str]) -> dict[str, str]:
    """The placeholders' ids: the session prepare opened on the lens and the evaluation job it queued."""
    sessions = httpx.get(f"{url}/api/v1/label-sessions", headers=headers, timeout=60).json()["sessions"]
    jobs = httpx.get(f"{url}/api/v1/jobs", headers=headers, timeout=60).json()["jobs"]
    [session] = [s["id"] for s in sessions if s["lens_id"] == LENS]
    [job] = [j["job_id"] for j in jobs if j["kind"] == "evaluate"]
    return {SESSION: session, DOOMED_SESSION: session, JOB: job}


def with_ids(case: schemathesis.Case, ids: dict[str, str]) -> schemathesis.Case:
    """``case`` with the placeholders among its path parameters replaced by their ids."""
    case.path_parameters = {name: ids.get(value, value) for name, value in (case.path_parameters or {}).items()}
    return case


@contextmanager
def serving(home: Path, **settings: str) -> Iterator[str]:
    """``factorscope serve`` on ``home`` with these FACTORSCOPE_* settings, its output in ``home/server.log``."""
    port = free_port()
    env = {**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_API_PORT": str(port), "FACTORSCOPE_DEVICE": "cpu",
           "FACTORSCOPE_DATABASE_URL": database_url(home), **{f"FACTORSCOPE_{k.upper()}": v
                                                             for k, v in settings.items()}}
    with (home / "server.log").open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, timeout_s=300)  # imports torch and the families: minutes on a busy 2-core CPU
        yield base
    finally:
        proc.terminate()  # SIGTERM: uvicorn finishes the requests in flight, then stops
        proc.wait(30)


@pytest.fixture(scope="module")
def api(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A real server on a copy of the demo home, with the doomed runs and a second session for the close."""
    home = doomed_home(demo_home, tmp_path_factory.mktemp("schemathesis") / "home")
    with serving(home) as base:
        ids = demo_ids(base, {})
        doomed = httpx.post(f"{base}/api/v1/label-sessions", json={"run_id": RUN, "lens_id": LENS}, timeout=120)
        assert doomed.status_code == 201, doomed.text
        yield Api(base, {}, {**ids, DOOMED_SESSION: doomed.json()["id"]})


@pytest.fixture(scope="module")
def viewer_api(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A real server with auth on, reads closed too, on a copy of the demo home, called with a viewer's token."""
    home = doomed_home(demo_home, tmp_path_factory.mktemp("schemathesis-auth") / "home")
    env = {**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_DATABASE_URL": database_url(home)}
    token = subprocess.run([sys.executable, "-m", "backend.cli", "token", "create", "--role", "viewer", "--name",
                            "schemathesis"], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    with serving(home, auth="on", auth_reads="true") as base:
        headers = {"Authorization": f"Bearer {token.strip()}"}
        yield Api(base, headers, demo_ids(base, headers))


def test_the_server_serves_the_document_tested(api: Api) -> None:
    assert httpx.get(f"{api.url}/openapi.json", timeout=120).json() == DOC  # built on first request: slow on a busy CPU


def test_the_demo_home_is_what_prepare_leaves(api: Api) -> None:
    runs = {r["run_id"]: r for r in httpx.get(f"{api.url}/api/v1/runs", timeout=60).json()["runs"]}
    assert {demo.run_id for demo in DEMO_RUNS} | {LENS} <= set(runs)
    assert {runs[run_id]["status"] for run_id in (RUN, OI_VAE, LENS)} == {"ready"}


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case: schemathesis.Case, api: Api) -> None:
    with_ids(case, api.ids).call_and_validate(base_url=api.url)


@RUN_READS.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_kind_of_demo_run_answers_its_reads_as_documented(case: schemathesis.Case, api: Api) -> None:
    for run_id in OTHER_RUNS:
        with_ids(case, {**api.ids, RUN: run_id, OI_VAE: run_id}).call_and_validate(
            base_url=api.url, excluded_checks=PARTIAL_DOCUMENT_EXCLUDED)


@WRITES.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_with_auth_on_a_viewer_writes_nothing_and_every_refusal_is_documented(
        case: schemathesis.Case, viewer_api: Api) -> None:
    response = with_ids(case, viewer_api.ids).call_and_validate(
        base_url=viewer_api.url, headers=viewer_api.headers, excluded_checks=PARTIAL_DOCUMENT_EXCLUDED)
    if case.method.upper() == case.operation.method.upper():  # not a probe with a method the path may read by
        assert 400 <= response.status_code < 500, response.text  # 403 (too small a role), or a malformed request


@pytest.mark.unit
@pytest.mark.parametrize(("model", "body", "field"), [
    (OracleSource, {"n": 1, "seed": False}, "seed"), (OracleSource, {"n": True}, "n"),
    (EventCreate, {"item": False, "labeller": "a"}, "item"),
    (LabelCreate, {"item": True, "value": 1, "labeller": "a"}, "item"),
    (LabelCreate, {"item": 1, "value": True, "labeller": "a"}, "value")])
def test_a_json_boolean_is_no_integer_in_the_bodies_schemathesis_caught(model: type[BaseModel], body: dict[str, object],
                                                                         field: str) -> None:
    """The demo home's lens refit and session skip, flag and label took false as 0 (schemathesis: schema-violating
    request accepted); the same bodies with an integer pass."""
    with pytest.raises(ValidationError, match=field):
        model.model_validate_json(json.dumps(body))
    model.model_validate_json(json.dumps({**body, field: 1}))
