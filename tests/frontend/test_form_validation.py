"""The training form's checks (frontend/components/forms.py) with known answers for every kind of bad value, the
API's problems mapped back to their fields, and the Runs page's submit against the fake backend: a bad form
sends nothing and says which field and why; a good one creates exactly the run it shows."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from dash import Dash
from fake_backend import FAMILIES, FakeBackend
from fastapi.testclient import TestClient
from test_pages import triggered

from backend.config import Settings
from backend.main import create_app
from frontend.api_client import BackendClient, BackendError
from frontend.components.controls import TRAIN_SCHEMA, show_value
from frontend.components.forms import FieldError, check_run_id, check_value, field_kind, form_values, problem_fields

INT = {"type": "integer", "default": 10, "minimum": 1, "maximum": 512}
FLOAT = {"type": "number", "default": 6.0, "minimum": 0, "maximum": 1e4}
OPTIONAL = {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "null"}], "default": None}
INT_LIST = {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "default": [256, 256]}
FLOAT_LIST = {"type": "array", "items": {"type": "number"}, "default": [2.2]}
ENUM = {"type": "string", "enum": ["mss", "mws"], "default": "mss"}
TAG = "tag:factorscope.dev,2025:problems/"


def refusal(prop: dict[str, Any], raw: Any) -> str:
    with pytest.raises(FieldError) as caught:
        check_value(prop, raw)
    return str(caught.value)


@pytest.mark.parametrize(("prop", "raw", "expected"), [
    (INT, "abc", "expected a whole number like 64, got 'abc'"),
    (INT, "2.5", "expected a whole number, got 2.5"),
    (INT, 2.5, "expected a whole number, got 2.5"),
    (INT, "0", "expected at least 1, got 0"),
    (INT, "513", "expected at most 512, got 513"),
    (INT, "", "expected a value (the default is 10)"),
    (INT, None, "expected a value (the default is 10)"),
    (INT, "1e400", "expected a finite number, got 1e400 (beyond what a float holds)"),
    (FLOAT, "1e400", "expected a finite number, got 1e400 (beyond what a float holds)"),
    (FLOAT, "nan", "expected a number like 0.001 or 1e-3, got 'nan'"),
    (FLOAT, "inf", "expected a number like 0.001 or 1e-3, got 'inf'"),
    (FLOAT, "-Infinity", "expected a number like 0.001 or 1e-3, got '-Infinity'"),
    (FLOAT, "1_000", "expected a number like 0.001 or 1e-3, got '1_000'"),
    (FLOAT, "0x10", "expected a number like 0.001 or 1e-3, got '0x10'"),
    (FLOAT, "-0.5", "expected at least 0, got -0.5"),
    (FLOAT, "2e4", "expected at most 10000, got 20000"),
    (FLOAT, " ", "expected a value (the default is 6.0)"),
    (OPTIONAL, "0", "expected more than 0, got 0"),
    (OPTIONAL, "fast", "expected a number like 0.001 or 1e-3, got 'fast'"),
    (TRAIN_SCHEMA["properties"]["lr"], "nan", "expected a number like 0.001 or 1e-3, got 'nan'"),
    (TRAIN_SCHEMA["properties"]["lr"], "0", "expected more than 0, got 0"),
    (TRAIN_SCHEMA["properties"]["seed"], "4294967296", "expected at most 4.29497e+09, got 4.29497e+09"),
    (INT_LIST, "256, abc", "expected comma-separated whole numbers like 256, 128; item 2 is 'abc'"),
    (INT_LIST, "256,,128", "expected comma-separated whole numbers like 256, 128, got '256,,128'"),
    (INT_LIST, "1.5", "expected comma-separated whole numbers like 256, 128; item 1 is '1.5'"),
    (INT_LIST, "64, 0", "item 2: expected at least 1, got 0"),
    (INT_LIST, "", "expected a value (the default is 256, 256)"),
    (FLOAT_LIST, "0.5, nan", "expected comma-separated numbers like 0.5, 1; item 2 is 'nan'"),
    (FLOAT_LIST, "1e999", "expected comma-separated numbers like 0.5, 1; item 1 is '1e999'"),
    (ENUM, "both", "expected one of mss, mws, got 'both'"),
    (ENUM, None, "expected a value (the default is mss)"),
    ({"type": "boolean"}, "yes", "expected on or off, got 'yes'"),
    ({"type": "object"}, '{"a": NaN}', "expected finite numbers, got NaN"),
    ({"type": "object"}, "{a: 1}", "expected JSON, got '{a: 1}'"),
    ({"type": "string", "pattern": "^[a-z]+$", "maxLength": 3}, "abcd", "expected 0 to 3 characters, got 4"),
    ({"type": "string", "pattern": "^[a-z]+$"}, "AB", "expected text matching ^[a-z]+$, got 'AB'"),
])
def test_every_kind_of_bad_value_is_refused_saying_why(prop: dict[str, Any], raw: Any, expected: str) -> None:
    assert refusal(prop, raw) == expected


@pytest.mark.parametrize(("prop", "raw", "expected"), [
    (INT, " 12 ", 12), (INT, "1e2", 100), (INT, 4, 4), (INT, "+7", 7),
    ({"type": "integer"}, "12345678901234567890", 12345678901234567890),  # exact, not through a float
    (FLOAT, "0.5", 0.5), (FLOAT, ".5", 0.5), (FLOAT, "1e-3", 0.001), (FLOAT, 6, 6.0), (FLOAT, "1E4", 1e4),
    (OPTIONAL, "", None), (OPTIONAL, None, None), (OPTIONAL, "3e-4", 3e-4),
    (INT_LIST, "256, 128", [256, 128]), (INT_LIST, "32", [32]), (FLOAT_LIST, "2.2, 1.9", [2.2, 1.9]),
    (ENUM, "mws", "mws"), ({"type": "boolean"}, False, False), ({"type": "object"}, '{"a": [1]}', {"a": [1]}),
])
def test_good_values_are_read_as_typed(prop: dict[str, Any], raw: Any, expected: Any) -> None:
    value = check_value(prop, raw)
    assert value == expected and type(value) is type(expected)


def test_the_form_reads_every_field_and_names_each_bad_one() -> None:
    schema = FAMILIES["families"][0]["config_schema"]  # latent_dim, hidden, likelihood, beta
    ids = [{"type": "config-field", "field": f} for f in ("latent_dim", "hidden", "likelihood", "beta")]
    assert form_values(schema, ids, ["3", "64, 32", "gaussian", "4"]) == (
        {"latent_dim": 3, "hidden": [64, 32], "likelihood": "gaussian", "beta": 4.0}, {})
    values, errors = form_values(schema, ids, ["abc", "64", "auto", "1e400"])
    assert values == {"hidden": [64], "likelihood": "auto"}
    assert errors == {"latent_dim": "expected a whole number like 64, got 'abc'",
                      "beta": "expected a finite number, got 1e400 (beyond what a float holds)"}


RULE = "expected 1 to 100 lowercase letters, digits, '-' or '_', not starting with '-' or '_'; got "


@pytest.mark.parametrize(("typed", "expected"), [
    ("", (None, None)), ("  ", (None, None)), (None, (None, None)), ("my-run_2", ("my-run_2", None)),
    (" my-run ", ("my-run", None)), ("My Run", (None, RULE + "'My Run'")), ("-x", (None, RULE + "'-x'")),
    ("a" * 101, (None, RULE + repr("a" * 60))),
])
def test_the_run_id_is_empty_or_one_the_api_takes(typed: str | None, expected: tuple[str | None, str | None]) -> None:
    assert check_run_id(typed) == expected


FIELDS = {"config": ["latent_dim", "hidden", "beta", "w_lr"], "train": ["steps", "batch_size", "lr", "seed"]}


def invalid(msg: str, *loc: str) -> BackendError:
    """A 422 as the API's InvalidInput words it (backend/errors.py)."""
    return BackendError(422, "Unprocessable Content", f"{'.'.join(loc)}: {msg}", problem_type=TAG + "invalid-input",
                        errors=[{"loc": list(loc), "msg": msg}])


@pytest.mark.parametrize(("err", "expected"), [
    (invalid("VAEConfig.beta: beta must be >= 0 and <= 10000, got inf", "body", "config"),
     {("config", "beta"): "VAEConfig.beta: beta must be >= 0 and <= 10000, got inf"}),
    (invalid("VAEConfig: latent_dim must be in 1..512, got 0", "body", "config"),
     {("config", "latent_dim"): "VAEConfig: latent_dim must be in 1..512, got 0"}),
    (invalid("OIVAEConfig.w_lr: w_lr must be > 0 and <= 10, got 20.0 (empty: the training lr)", "body", "config"),
     {("config", "w_lr"): "OIVAEConfig.w_lr: w_lr must be > 0 and <= 10, got 20.0 (empty: the training lr)"}),
    (invalid("Input should be a finite number", "body", "config", "beta"),
     {("config", "beta"): "Input should be a finite number"}),
    (invalid("TrainConfig: lr must be > 0, got nan", "body", "train"),
     {("train", "lr"): "TrainConfig: lr must be > 0, got nan"}),
    (invalid("expected a run id (1 to 100 lowercase letters ...), got 'X'", "body", "run_id"),
     {("run_id", "run_id"): "expected a run id (1 to 100 lowercase letters ...), got 'X'"}),
    (BackendError(422, "Unprocessable Content", "train.steps is 9000, over the limit max_train_steps = 5000; "
                  "expected at most 5000", problem_type=TAG + "limit-exceeded"),
     {("train", "steps"): "train.steps is 9000, over the limit max_train_steps = 5000; expected at most 5000"}),
    (BackendError(409, "Conflict", "run 'tiny' already exists; expected a new run_id (or none)",
                  problem_type=TAG + "run-exists"),
     {("run_id", "run_id"): "run 'tiny' already exists; expected a new run_id (or none)"}),
    (invalid("the model could not be built from this config (out of memory)", "body", "config"), {}),
    (invalid("unknown family 'x'", "body", "family"), {}),
    (BackendError(503, "Service Unavailable", "busy"), {}),
])
def test_the_apis_problems_land_beside_their_field(err: BackendError, expected: dict[tuple[str, str], str]) -> None:
    assert problem_fields(err, FIELDS) == expected


# -- the Runs page's submit, against the fake backend ------------------------------------------------------

@pytest.fixture
def runs(app: Dash, with_client: Dash) -> ModuleType:
    return importlib.import_module("frontend.pages.runs")


def submit(runs: ModuleType, config: dict[str, Any], train: dict[str, Any], run_id: str | None = None
           ) -> tuple[Any, ...]:
    """The Train button's callback as the browser calls it: the vae form (fake FAMILIES) with ``config`` and
    ``train`` typed over the defaults as the controls show them."""
    families, *_ = runs.load_catalogue(runs.context.client(), runs.RunsState())
    props = families["vae"]["schema"]["properties"]
    shown = {k: show_value(field_kind(props[k]), v) for k, v in families["vae"]["defaults"].items()} | config
    train_shown = {name: prop["default"] for name, prop in TRAIN_SCHEMA["properties"].items()} | train
    ids = [{"type": "config-field", "field": f} for f in shown]
    train_ids = [{"type": "train-field", "field": f} for f in train_shown]
    return runs.submit(1, "vae", "digits", ids, list(shown.values()), train_ids, list(train_shown.values()),
                       families, 0, run_id)


def posts(backend: FakeBackend) -> list[Any]:
    return [body for method, path, _, body in backend.calls if method == "POST" and path == "/api/v1/runs"]


def test_letters_1e400_and_nan_send_nothing_and_say_which_field(runs: ModuleType, backend: FakeBackend) -> None:
    job, alert, paused, _, _, _, config_errors, train_errors, run_error = submit(
        runs, {"latent_dim": "abc", "beta": "1e400"}, {"lr": "nan"}, "Bad Id")
    assert posts(backend) == [] and job is None and paused
    assert config_errors == ["expected a whole number like 64, got 'abc'", None, None,
                             "expected a finite number, got 1e400 (beyond what a float holds)"]
    assert train_errors == [None, None, "expected a number like 0.001 or 1e-3, got 'nan'", None]
    assert run_error.startswith("expected 1 to 100 lowercase letters")
    assert alert.children == "Nothing was sent: fix the 4 fields marked in red (latent_dim, beta, lr, run_id)."


def test_an_emptied_field_is_refused_not_replaced_by_its_default(runs: ModuleType, backend: FakeBackend) -> None:
    *_, config_errors, train_errors, _ = submit(runs, {"hidden": ""}, {"steps": " "})
    assert posts(backend) == []
    assert config_errors[1] == "expected a value (the default is 256, 256)"
    assert train_errors[0] == "expected a value (the default is 2000)"


def test_a_good_form_creates_exactly_the_run_it_shows(runs: ModuleType, backend: FakeBackend) -> None:
    job, *_, config_errors, train_errors, run_error = submit(
        runs, {"latent_dim": "3", "hidden": "64, 32", "beta": "4.5"}, {"steps": "300", "lr": "2e-3"}, "my-run")
    assert job == {"job_id": "ab12", "run_id": "my-run"}
    assert set(config_errors) == set(train_errors) == {None} and run_error is None
    assert posts(backend) == [{"family": "vae", "dataset": "digits", "run_id": "my-run",
                               "config": {"latent_dim": 3, "hidden": [64, 32], "likelihood": "auto", "beta": 4.5},
                               "train": {"steps": 300, "batch_size": 64, "lr": 0.002, "seed": 0}}]


def test_each_field_is_checked_as_the_user_leaves_it(runs: ModuleType) -> None:
    families, *_ = runs.load_catalogue(runs.context.client(), runs.RunsState())
    with triggered({"type": "config-field", "field": "latent_dim"}, "value"):
        assert runs.check_config_field("abc", "vae", families) == "expected a whole number like 64, got 'abc'"
        assert runs.check_config_field("3", "vae", families) is None  # fixed: the message goes
    with triggered({"type": "train-field", "field": "lr"}, "value"):
        assert runs.check_train_field("nan") == "expected a number like 0.001 or 1e-3, got 'nan'"
    assert runs.check_run_id_field("Bad Id").startswith("expected 1 to 100 lowercase letters")
    assert runs.check_run_id_field("") is None


def test_the_apis_refusal_shows_beside_the_field(runs: ModuleType, backend: FakeBackend) -> None:
    job, alert, *_, config_errors, _, _ = submit(runs, {"latent_dim": "0"}, {})  # the fake's schema has no minimum
    assert len(posts(backend)) == 1 and job is None
    assert config_errors[0] == "VAEConfig: latent_dim must be in 1..512, got 0"
    assert "Unprocessable" in str(alert)
    *_, run_error = submit(runs, {}, {}, "tiny")  # a run id in use: 409, beside the run id
    assert run_error == "run 'tiny' already exists; expected a new run_id (or none)"


def test_the_real_apis_refusals_are_mapped_to_their_field(tmp_path: Path) -> None:
    """Values that slip past the form, sent to the real app: each refusal lands beside the field it is about."""
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/jobs.db", max_train_steps=5000)
    sent = {"config": ["latent_dim", "hidden", "beta"], "train": ["steps", "batch_size", "lr", "seed"]}
    bodies: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any], str | None]] = {
        ("config", "latent_dim"): ({"latent_dim": 0}, {}, None), ("config", "beta"): ({"beta": -1.0}, {}, None),
        ("train", "lr"): ({}, {"lr": 0.0}, None), ("train", "steps"): ({}, {"steps": 9000}, None),
        ("run_id", "run_id"): ({}, {}, "Bad Id")}
    with TestClient(create_app(settings), base_url="http://localhost") as http:
        client = BackendClient(http)
        for field, (config, train, run_id) in bodies.items():
            with pytest.raises(BackendError) as caught:
                client.create_run("vae", "digits", {"hidden": [8], **config}, train, run_id)
            assert list(problem_fields(caught.value, sent)) == [field], caught.value
        client.create_run("vae", "digits", {"hidden": [8]}, {"steps": 1}, "taken")  # queued (no worker here)
        with pytest.raises(BackendError) as caught:
            client.create_run("vae", "digits", {"hidden": [8]}, {"steps": 1}, "taken")
        assert list(problem_fields(caught.value, sent)) == [("run_id", "run_id")]
