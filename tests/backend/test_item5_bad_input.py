"""Schemathesis, in negative mode, on the routes of issue 20 item 5 (embedding axes, projections, sprite sheets, item
sets): every request it makes invalid for the documented schema (a wrong type, a value out of range, a missing or
unknown field) is refused with a 4xx problem (its negative_data_rejection check), and none is a 5xx. In-process, on a
copy of the trained run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from app_client import AppClient as TestClient
from conftest import RUN, copy_home, make_settings, serve
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import negative_data_rejection

from backend.config import Settings
from backend.main import create_app

ROUTES = re.compile(r"/api/v1/(runs/\{run_id\}/(embedding|projections.*|item-sets)|datasets/\{name\}/sprites/.*"
                    r"|item-sets/.*)")
DOC = create_app(Settings(home=Path("unused"))).openapi()
CONFIG = SchemathesisConfig.from_dict({"generation": {"mode": "negative"},
                                       "parameters": {"path.run_id": RUN, "path.name": "digits"}})
NO_INPUT = ("/api/v1/runs/{run_id}/item-sets", "get")  # its one input, run_id, is fixed: nothing to make invalid
PATHS = {path: {verb: op for verb, op in ops.items() if (path, verb) != NO_INPUT}
         for path, ops in DOC["paths"].items() if ROUTES.fullmatch(path)}
schema = schemathesis.openapi.from_dict({**DOC, "paths": PATHS}, config=CONFIG)


@pytest.fixture(scope="module")
def app(trained_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with serve(make_settings(copy_home(trained_home, tmp_path_factory.mktemp("negative-home")))) as c:
        yield c


def test_the_routes_are_in_the_document() -> None:
    assert len(schema.raw_schema["paths"]) == 6


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_invalid_requests_are_4xx_problems(case: schemathesis.Case, app: TestClient) -> None:
    response = app.request(**case.as_transport_kwargs(base_url=str(app.base_url)))
    # schemathesis's own judgement of which requests it made invalid: those must be refused with a 4xx
    case.validate_response(response, checks=[negative_data_rejection, not_a_server_error])
    if 400 <= response.status_code < 500:
        assert response.headers["content-type"].startswith("application/problem+json"), response.headers
