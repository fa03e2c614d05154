"""Property-based tests of the API against its own OpenAPI document (schemathesis, in process).

Every check runs (no 5xx, status codes, content types, headers and bodies as documented, invalid data
rejected) except ``positive_data_acceptance``: some rules depend on the run and cannot live in a static
schema (a latent vector's length is the run's K, a dim must be below K, an item below the dataset's
size, a family config must fit that family), so schema-valid requests may rightly get a 422.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

from backend.config import Settings
from backend.main import create_app

# The app is built at import (schemathesis parametrizes from it) but touches no disk until its lifespan
# starts with the first request, after the fixture below has put a copy of the trained run in HOME.
HOME = Path(tempfile.gettempdir()) / f"factorscope-schemathesis-{os.getpid()}"
APP = create_app(Settings(home=HOME, database_url=f"sqlite:///{HOME}/jobs.db", inference_timeout_s=60.0,
                          allowed_hosts=["testserver"]))  # the Host of schemathesis's in-process requests
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP


@pytest.fixture(scope="module", autouse=True)
def _home_with_the_trained_run(trained_home: Path) -> Iterator[None]:
    """Its own copy of the run: random requests may create or delete runs."""
    shutil.copytree(trained_home / "runs", HOME / "runs", dirs_exist_ok=True)
    yield
    asgi.shutdown_lifespans()
    shutil.rmtree(HOME, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case: schemathesis.Case) -> None:
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
