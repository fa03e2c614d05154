"""One contract across HTTP. Every public method of ``BackendClient`` and every ``ImageUrls`` URL is called
against the real app (``TestClient(create_app(...))`` over a home whose runs were trained and evaluated through
the API itself), and the fake backend the page tests use is held to the same frontend models and to the real
app's OpenAPI response schemas, so it cannot drift from what the API answers."""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fake_backend import GROUPED_RUN, FakeBackend
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError

from backend.config import Settings
from backend.jobs import JobStore, run_worker
from backend.main import create_app
from frontend import api_client
from frontend.api_client import BackendClient, BackendError, ImageUrls, MetricsFile
from frontend.components.tables import metric_rows, summary_rows
from frontend.state import Base, ExploreState

API = "/api/v1"
BASE_URL = "http://backend:8000"
RUN, GROUPED, GRID, MADE = "tiny", "grouped", "grid", "made"  # the fake knows the first two by these names
LENS, NEW_LENS = "lens-a", "lens-b"  # a lens of RUN (the fake knows it by this name), and one the scenario makes
LENS_BODY = {"variant": "filvm", "k": 3, "T": 2, "attributes": ["label", "thickness"], "hidden": [16],
             "labels": {"oracle": {"n": 100, "seed": 0}}, "fit": {"steps": 10}}
TRAIN = {"steps": 10, "eval_every": 10, "checkpoint_every": 0}  # the answers' shapes matter, not the fit
RUNS = {  # run id -> (family, dataset, config, training): "grid" is evaluated for a report with every metric
    RUN: ("vae", "digits", {"latent_dim": 4, "hidden": [32]}, TRAIN),
    GROUPED: ("oi_vae", "bars", {"latent_dim": 3, "hidden": [16]}, TRAIN),
    GRID: ("vae", "glyphs", {"latent_dim": 4, "hidden": [16]}, TRAIN),
}
ALL_METRICS = {"mig_dlib": "mig_dlib", "sap": "sap_dlib_discrete", "modularity": "modularity_dlib",
               "dci": "dci_dlib", "factor_vae": "factor_vae_dlib", "mig_chen": "mig_chen"}


# -- the calls: one per public method, in an order where each finds what it needs -------------------------------

@dataclass
class Scenario:
    """Every client method called once against one backend; ``results`` holds each answer or the error it raised."""

    client: BackendClient
    results: dict[str, Any] = field(default_factory=dict)

    def version(self, run_id: str) -> str | None:
        return self.client.run(run_id).version

    def job_made(self) -> str:
        return str(self.results["create_run"].job_id)

    def run_all(self) -> Scenario:
        for name, call in CALLS.items():
            try:
                self.results[name] = call(self)
            except (BackendError, ValidationError) as err:  # kept, and raised by the test of that method
                self.results[name] = err
        return self


CALLS: dict[str, Callable[[Scenario], Any]] = {
    "health": lambda s: s.client.health(),
    "whoami": lambda s: s.client.whoami(),
    "workers": lambda s: s.client.workers(),
    "families": lambda s: s.client.families(),
    "datasets": lambda s: s.client.datasets(),
    "runs": lambda s: s.client.runs(),
    "run": lambda s: s.client.run(RUN),
    "factors": lambda s: s.client.factors(RUN, s.version(RUN)),
    "metrics": lambda s: s.client.metrics(RUN),
    "embedding": lambda s: s.client.embedding(RUN, "pca", 50, s.version(RUN)),
    "traversal": lambda s: s.client.traversal(RUN, "item:3", s.version(RUN)),
    "dim_traversal": lambda s: s.client.dim_traversal(GROUPED, 0, 3, 2.5, s.version(GROUPED)),
    "group_heatmap": lambda s: s.client.group_heatmap(GROUPED, s.version(GROUPED)),
    "traversal_png": lambda s: s.client.traversal_png(RUN, ExploreState(run=RUN, v=s.version(RUN), dims=(0, 1),
                                                                        base=Base()).image_params()),
    "factor_mi": lambda s: s.client.factor_mi(RUN, s.version(RUN)),
    "typical_item": lambda s: s.client.typical_item(RUN, s.version(RUN)),
    "neighbours": lambda s: s.client.neighbours(RUN, 3, 5, 100, 0, s.version(RUN)),
    "search_items": lambda s: s.client.search_items("glyphs", ["digit=7", "rotation=1"], limit=3, offset=1),
    "request_projection": lambda s: s.client.request_projection(RUN, "pca", 60, 0, s.version(RUN)),
    "projection": lambda s: s.client.projection(RUN, "pca", 60, 0, s.version(RUN)),  # computed in train_and_evaluate
    "create_item_set": lambda s: s.client.create_item_set(RUN, "contract set", [1, 2, 3]),
    "item_sets": lambda s: s.client.item_sets(RUN),
    "item_set": lambda s: s.client.item_set(s.results["create_item_set"].set_id),
    "fetch": lambda s: s.client.fetch(f"{API}/datasets/digits/items/3.png"),
    "create_run": lambda s: s.client.create_run("vae", "digits", {"latent_dim": 2, "hidden": [8]}, {"steps": 5},
                                                run_id=MADE),
    "job": lambda s: s.client.job(s.job_made()),
    "jobs": lambda s: s.client.jobs(kind="train", active=True),
    "cancel_job": lambda s: s.client.cancel_job(s.job_made()),
    "resume_run": lambda s: s.client.resume_run(MADE),
    "evaluate": lambda s: s.client.evaluate(RUN),
    "train_log": lambda s: s.client.train_log(RUN, after=0, limit=5),
    "delete_run": lambda s: s.client.delete_run(MADE),
    "attributes": lambda s: s.client.attributes("digits"),
    "lenses": lambda s: s.client.lenses(RUN),
    "lens": lambda s: s.client.lens(RUN, LENS, s.client.lens(RUN, LENS).version),
    "lens_score": lambda s: s.client.lens_score(RUN, LENS, s.client.lens(RUN, LENS).version),
    "lens_embedding": lambda s: s.client.lens_embedding(RUN, LENS, "thickness", 20, s.client.lens(RUN, LENS).version),
    "create_lens": lambda s: s.client.create_lens(RUN, {**LENS_BODY, "lens_id": NEW_LENS}),
}
URLS: dict[str, Callable[[ImageUrls, Scenario], str]] = {
    "traversal": lambda images, s: images.traversal(RUN, ExploreState(run=RUN, v=s.version(RUN), dims=(3,),
                                                                      base=Base("item", index=3)).image_params()),
    "reconstruct": lambda images, s: images.reconstruct(RUN, [3], s.version(RUN)),
    "decode": lambda images, s: images.decode(RUN, [0.5, 0.0, -1.0, 0.25], s.version(RUN)),
    "item": lambda images, s: images.item("digits", 7),
    "sprites": lambda images, s: images.sprites("digits", 60, 0, 16).replace("{page}", "0"),
    "manipulation": lambda images, s: images.manipulation(RUN, LENS, {
        "base": "item:5", "a": "label", "b": "thickness", "steps": 3, "span": 2.0,
        "v": s.client.lens(RUN, LENS).version}),
}


def public_methods(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def check_returns(name: str, outcome: Any) -> None:
    """``outcome`` is what ``BackendClient.<name>`` is annotated to return (models as instances, strictly)."""
    if isinstance(outcome, Exception):
        raise outcome
    returns = typing.get_type_hints(getattr(BackendClient, name), vars(api_client))["return"]
    TypeAdapter(returns).validate_python(outcome, strict=True)


# -- the real app --------------------------------------------------------------------------------------------------

@dataclass
class Real:
    """The app over a home with the RUNS trained (and two evaluated), and the scenario's answers from it."""

    http: TestClient
    home: Path
    scenario: Scenario


def train_and_evaluate(client: BackendClient, settings: Settings, jobs: JobStore) -> None:
    """The runs made, trained and evaluated as a user would: POST /runs, POST .../metrics, a worker (in this
    process) running the queue empty after each."""
    for run_id, (family, dataset, config, train) in RUNS.items():
        client.create_run(family, dataset, config, train, run_id=run_id)
    run_worker(settings, once=True, store=jobs)
    client.create_lens(RUN, {**LENS_BODY, "lens_id": LENS})
    client.request_projection(RUN, "pca", 60)  # the scenario reads it back
    for run_id in (RUN, GRID):
        client.evaluate(run_id)
    run_worker(settings, once=True, store=jobs)
    failed = [j for j in client.jobs() if j.state != "succeeded"]
    assert not failed, failed


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Real]:
    home = tmp_path_factory.mktemp("contract-home")
    settings = Settings(home=home, database_url=f"sqlite:///{home}/jobs.db", allowed_hosts=["backend"])  # BASE_URL's
    with TestClient(create_app(settings), base_url=BASE_URL) as http:
        client = BackendClient(http)
        train_and_evaluate(client, settings, http.app.state.jobs)
        yield Real(http, home, Scenario(client).run_all())


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The real app's OpenAPI document (made from its routes: no home or lifespan needed)."""
    home = tmp_path_factory.mktemp("openapi-home")
    return create_app(Settings(home=home, database_url=f"sqlite:///{home}/jobs.db")).openapi()


def test_every_public_method_has_a_contract_call() -> None:
    """A method added to the client without a call here fails until it gets one."""
    assert public_methods(BackendClient) == set(CALLS)
    # path_of reads back each URL below; shareable only puts the dashboard's origin before one
    assert public_methods(ImageUrls) == set(URLS) | {"path_of", "shareable"}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_method_parses_the_real_answer(real: Real, name: str) -> None:
    check_returns(name, real.scenario.results[name])


@pytest.mark.parametrize("name", sorted(URLS))
def test_each_image_url_is_a_png_of_the_real_app(real: Real, name: str) -> None:
    images = ImageUrls(BASE_URL)
    path = images.path_of(URLS[name](images, real.scenario))
    assert path is not None and path.startswith(f"{API}/")
    assert real.scenario.client.fetch(path).startswith(b"\x89PNG\r\n\x1a\n")


def test_the_metrics_answer_is_the_report_as_written(real: Real) -> None:
    """Typed, and exactly metrics.json: the schema leaves out nothing the report writes."""
    for run_id in (RUN, GRID):
        written = json.loads((real.home / "runs" / run_id / "metrics.json").read_text())
        assert real.http.get(f"{API}/runs/{run_id}/metrics").json()["metrics"] == written
    report = real.scenario.client.metrics(GRID).metrics.report
    assert {name: m.variant for name, m in report.metrics.items()} == ALL_METRICS
    assert report.log_likelihood.held_out and report.log_likelihood.samples == 100
    assert set(real.scenario.client.metrics(RUN).metrics.report.metrics) == {"mig_dlib", "sap"}  # one factor


def test_a_report_of_an_older_shape_is_answered_as_written(real: Real) -> None:
    """Reports before 2026-11-30 lack the items' provenance, n_distinct and the vote batch: the answer lacks them
    too (no nulls made up), and the tables say the items were any."""
    path = real.home / "runs" / RUN / "metrics.json"
    written = path.read_text()
    old = json.loads(written)
    for part in ("reconstruction", "log_likelihood"):
        del old["report"][part]["items"]
    del old["report"]["metrics"]["mig_dlib"]["n_distinct"]
    try:
        path.write_text(json.dumps(old))
        answer = real.http.get(f"{API}/runs/{RUN}/metrics").json()
        assert answer["metrics"] == old
        rows = dict(summary_rows(MetricsFile.model_validate(answer["metrics"])))
        assert any(k.startswith("log-likelihood (IW-ELBO, 100 samples, ") and k.endswith("training ones included)")
                   for k in rows)
        sampled = {r["metric"]: r["sample"] for r in metric_rows(MetricsFile.model_validate(answer["metrics"]))}
        assert sampled["mig_dlib"] == "10,000 points"
    finally:
        path.write_text(written)


def test_a_report_in_another_shape_is_a_404_saying_where(real: Real) -> None:
    path = real.home / "runs" / RUN / "metrics.json"
    written = path.read_text()
    bad = json.loads(written)
    bad["report"]["metrics"]["sap"]["variant"] = "sap_dlib"
    try:
        path.write_text(json.dumps(bad))
        response = real.http.get(f"{API}/runs/{RUN}/metrics")
        assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
        detail = response.json()["detail"]
        assert "report.metrics.sap.variant" in detail and "expected POST to this URL" in detail
    finally:
        path.write_text(written)


def field_uses(value: Any, seen: set[tuple[type, str]]) -> set[tuple[type, str]]:
    """(model class, field) for every field given a value anywhere in ``value`` (models, lists, dicts)."""
    if isinstance(value, BaseModel):
        seen |= {(type(value), name) for name in value.model_fields_set}
        for name in type(value).model_fields:
            field_uses(getattr(value, name), seen)
    elif isinstance(value, list | tuple):
        for item in value:
            field_uses(item, seen)
    elif isinstance(value, dict):
        for item in value.values():
            field_uses(item, seen)
    return seen


def test_every_field_the_frontend_reads_is_in_a_real_answer(real: Real) -> None:
    """A field the backend renamed or dropped would parse as its default: each one must come in some answer."""
    answers = [*real.scenario.results.values(), real.scenario.client.metrics(GRID)]
    seen = field_uses(answers, set())
    models = {cls for cls, _ in seen}  # with the classes that inherit from them (a Run is a RunSummary)
    unseen = [(m.__name__, name) for m in models for name in m.model_fields
              if not any(issubclass(cls, m) and used == name for cls, used in seen)]
    assert not unseen


# -- the fake backend, held to the same models and to the real app's OpenAPI schemas -----------------------------

def fake_scenario(fake: FakeBackend) -> Scenario:
    fake.runs.append(dict(GROUPED_RUN))
    http = httpx.Client(transport=httpx.MockTransport(fake), base_url=BASE_URL)
    return Scenario(BackendClient(http)).run_all()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_method_parses_the_fake_answer(name: str) -> None:
    check_returns(name, fake_scenario(FakeBackend()).results[name])


def response_schema(openapi: dict[str, Any], method: str, path: str, status: int, media: str) -> dict[str, Any]:
    """The schema the real app documents for this answer (a KeyError names what it does not document)."""
    for template, operations in openapi["paths"].items():
        pattern = "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", template))
        if re.fullmatch(pattern, path) and method.lower() in operations:
            content = operations[method.lower()]["responses"][str(status)].get("content", {})
            return content[media]["schema"] if media in content else {"not": {}}
    raise KeyError(f"{method} {path}: the real app has no such route")


def check_answer(openapi: dict[str, Any], method: str, path: str, response: httpx.Response) -> list[str]:
    """What is wrong with one answer of the fake by the real app's OpenAPI document (empty: nothing)."""
    media = response.headers.get("content-type", "").split(";")[0]
    if response.status_code == 204:
        return []
    schema = response_schema(openapi, method, path, response.status_code, media)
    if media == "image/png":
        return [] if "not" not in schema else [f"{method} {path}: the real app answers no PNG"]
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": openapi["components"]})
    return [f"{method} {path} {response.status_code}: {e.message[:300]} at {list(e.instance_path)}"
            for e in validator.iter_errors(response.json())]


NEW = {"family": "vae", "dataset": "digits", "config": {}, "train": {}}
FAKE_PROBLEMS = [("POST", "/runs", {**NEW, "config": {"latent_dim": 0}}), ("POST", "/runs", {**NEW, "run_id": RUN}),
                 ("GET", f"/runs/{RUN}/groups/heatmap", None), ("GET", "/runs/nope", None),
                 ("GET", f"/jobs/{'0' * 32}", None), ("POST", f"/runs/{RUN}/lenses", {"attributes": []}),
                 ("POST", f"/runs/{RUN}/lenses", {"attributes": ["label"], "lens_id": RUN})]
# 422, 409, 409, 404, 404, then a lens without attributes (422) and one whose id is taken (409)


class Recorder:
    """A transport handler that keeps each request the fake answered with its answer."""

    def __init__(self, fake: FakeBackend) -> None:
        self.fake, self.exchanges = fake, []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self.fake(request)
        self.exchanges.append((request, response))
        return response


def test_every_answer_the_fake_gives_is_one_the_real_app_documents(openapi: dict[str, Any]) -> None:
    fake = FakeBackend()
    fake.runs.append(dict(GROUPED_RUN))
    recorder = Recorder(fake)
    client = BackendClient(httpx.Client(transport=httpx.MockTransport(recorder), base_url=BASE_URL))
    Scenario(client).run_all()
    for path in fake.answers():  # the fixed answers the scenario may not reach
        client.http.get(f"{API}{path}")
    for method, path, body in FAKE_PROBLEMS:
        client.http.request(method, f"{API}{path}", json=body)
    problems = [p for request, response in recorder.exchanges
                for p in check_answer(openapi, request.method, request.url.path, response)]
    assert not problems
    assert {r.url.path.removeprefix(API) for r, _ in recorder.exchanges} >= set(fake.answers())
