"""Runs built on other runs: a child (tests/backend/child_family: a small VAE over its parent's encoder means) pins
its parent's version when created, loads it first (through the run store's cache), never saves its weights,
keeps the parent from being deleted alone, and reports a replaced parent like a stale link."""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from app_client import AppClient as TestClient
from safetensors import safe_open

from backend.config import Settings
from backend.jobs import run_worker
from backend.main import create_app
from backend.runs import StaleParent, create_run, descendants, load_run, read_record, run_dir, train_run
from models.checkpoint import CONFIG_FILE, WEIGHTS_FILE, CheckpointError, load_model, read_json, save_model
from models.training import TrainConfig

API = "/api/v1"
PARENT_K, CHILD_K = 4, 2
CHILD_CONFIG = {"parent": {"run_id": "base"}, "parent_latent_dim": PARENT_K, "latent_dim": CHILD_K, "hidden": [16]}
TRAIN = TrainConfig(steps=200, eval_every=100, checkpoint_every=0, seed=0)


@pytest.fixture(scope="module")
def child_family() -> None:
    """Registers ``child_vae`` (at run time: see child_family/__init__)."""
    importlib.import_module("child_family")


@pytest.fixture(scope="module")
def family_home(tmp_path_factory: pytest.TempPathFactory, child_family: None) -> Path:
    """A trained parent ``base`` (vae on digits, K = 4) and a trained child ``lens`` built on it."""
    home = tmp_path_factory.mktemp("parents-home")
    create_run(home, "vae", {"latent_dim": PARENT_K, "hidden": [32]}, "digits", TRAIN, run_id="base")
    train_run(home, "base")
    create_run(home, "child_vae", CHILD_CONFIG, "digits", TRAIN, run_id="lens")
    train_run(home, "lens")
    return home


@pytest.fixture
def home(family_home: Path, tmp_path: Path) -> Path:
    """A copy of ``family_home`` a test may change."""
    shutil.copytree(family_home / "runs", tmp_path / "home" / "runs")
    return tmp_path / "home"


@pytest.fixture
def client(home: Path, settings_for: Callable[..., Settings]) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(home))) as c:
        yield c


def version_of(home: Path, run_id: str) -> str:
    version = read_record(home, run_id).version
    assert version is not None
    return version


def test_a_child_made_through_the_api_pins_its_parent_and_trains_in_the_worker(
        client: TestClient, home: Path, settings_for: Callable[..., Settings]) -> None:
    config = {**CHILD_CONFIG, "latent_dim": 3}
    made = client.post(f"{API}/runs", json={"run_id": "lens2", "family": "child_vae", "dataset": "digits",
                                             "config": config, "train": {"steps": 60, "eval_every": 30}})
    assert made.status_code == 202, made.text
    pinned = {"run_id": "base", "version": version_of(home, "base")}
    detail = client.get(f"{API}/runs/lens2").json()
    assert detail["parent"] == detail["config"]["parent"] == pinned and detail["status"] == "training"
    run_worker(settings_for(home), once=True, store=client.app.state.jobs)
    assert client.get(made.json()["job_url"]).json()["state"] == "succeeded"
    assert client.get(f"{API}/runs/lens2").json()["status"] == "ready"


def test_the_store_loads_the_parent_first_through_its_cache(client: TestClient) -> None:
    store = client.app.state.run_store
    child = store.load(store.ready("lens")).model
    parent = store.load(store.ready("base")).model
    assert child.base is parent  # the cached parent, attached: not a second copy
    z = torch.randn(5, CHILD_K, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        means = child.likelihood.mean(child.decoder(z))  # (5, K_parent)
        assert torch.equal(child.decode(z), parent.decode(means))  # decode(z*) = parent.decode(own decoder(z*))
        assert child.encode(torch.rand(5, 1, 8, 8)).mean.shape == (5, CHILD_K)


def test_the_childs_weights_file_holds_no_parent_tensor(family_home: Path) -> None:
    folder = run_dir(family_home, "lens")
    with safe_open(str(folder / WEIGHTS_FILE), "pt") as f:
        stored = {key: f.get_tensor(key).numel() for key in f.keys()}  # noqa: SIM118 (safe_open is no dict)
    parent, _ = load_run(family_home, "base")
    child, _ = load_run(family_home, "lens")
    assert set(stored) == set(child.state_dict()) and not any(key.startswith("parent") for key in stored)
    own = sum(p.numel() for p in child.parameters())
    assert sum(stored.values()) == own == read_json(folder / CONFIG_FILE)["n_parameters"]
    assert own < sum(p.numel() for p in parent.parameters())  # the parent's tensors would outweigh the child's


def test_a_child_is_served_and_listed_with_its_parent(client: TestClient, home: Path) -> None:
    png = client.get(f"{API}/runs/lens/traversal.png?steps=5")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    body = client.get(f"{API}/runs/lens/traversal?dims=0,1&steps=3&span=1").json()
    assert body["shape"] == [1, 8, 8] and len(body["outputs"]) == 2 and body["version"] == version_of(home, "lens")
    listed = {r["run_id"]: r["parent"] for r in client.get(f"{API}/runs").json()["runs"]}
    assert listed == {"base": None, "lens": {"run_id": "base", "version": version_of(home, "base")}}
    assert client.get(f"{API}/runs/lens").json()["parent"] == listed["lens"]


def test_a_parent_is_deleted_only_with_its_children(client: TestClient, problem: Callable[..., Any]) -> None:
    body = problem(client.delete(f"{API}/runs/base"), 409, "'base' has runs built on it: lens", "with_children=true")
    assert body["type"].endswith("has-children") and body["children"] == ["lens"]
    assert client.get(f"{API}/runs/base").status_code == client.get(f"{API}/runs/lens").status_code == 200
    problem(client.delete(f"{API}/runs/base?with_children=maybe"), 422, "query.with_children")
    assert client.delete(f"{API}/runs/lens").status_code == 204  # a child alone may go
    create_run(client.app.state.run_store.home, "child_vae", CHILD_CONFIG, "digits", TRAIN, run_id="lens-b")
    assert client.delete(f"{API}/runs/base?with_children=true").status_code == 204
    problem(client.get(f"{API}/runs/base"), 404, "no run 'base'")
    problem(client.get(f"{API}/runs/lens-b"), 404, "no run 'lens-b'")
    assert client.get(f"{API}/runs").json()["runs"] == []


def test_a_chain_of_runs_loads_whole_and_is_deleted_leaves_first(client: TestClient, home: Path) -> None:
    grand = {**CHILD_CONFIG, "parent": {"run_id": "lens"}, "parent_latent_dim": CHILD_K, "latent_dim": 1}
    create_run(home, "child_vae", grand, "digits", TrainConfig(steps=30, eval_every=30, seed=0), run_id="grand")
    train_run(home, "grand")  # loads lens, which loads base
    store = client.app.state.run_store
    model, lens, base = (store.load(store.ready(run_id)).model for run_id in ("grand", "lens", "base"))
    assert model.base is lens and lens.base is base
    assert model.decode(torch.zeros(2, 1)).shape == (2, 1, 8, 8)
    assert descendants(home, "base") == ["grand", "lens"]  # each run after those built on it
    assert client.delete(f"{API}/runs/base?with_children=true").status_code == 204
    assert list((home / "runs").iterdir()) == []


def test_the_delete_flag_is_documented() -> None:
    operation = create_app().openapi()["paths"]["/api/v1/runs/{run_id}"]["delete"]
    flag = next(p for p in operation["parameters"] if p["name"] == "with_children")
    assert flag["in"] == "query" and flag["schema"]["type"] == "boolean" and "409" in operation["responses"]


def replace_weights(home: Path, run_id: str) -> str:
    """Save the run's model with one weight changed (as a retraining would); returns the new version."""
    folder = run_dir(home, run_id)
    model, header = load_model(folder)
    with torch.no_grad():
        next(model.parameters()).add_(0.5)
    save_model(model, folder, {k: v for k, v in header.items() if k != "weights_sha256"}, make_dir=False)
    return version_of(home, run_id)


def test_a_replaced_parent_makes_its_child_stale(client: TestClient, home: Path,
                                                 problem: Callable[..., Any]) -> None:
    old = version_of(home, "base")
    assert client.get(f"{API}/runs/lens/traversal?dims=0&steps=3").status_code == 200  # the child is cached now
    new = replace_weights(home, "base")
    body = problem(client.get(f"{API}/runs/lens/traversal?dims=0&steps=3"), 409,
                   f"run 'lens' is built on run 'base' at version {old}", f"'base' is now at version {new}",
                   "create the child again")
    assert body["type"].endswith("version-mismatch")  # the problem type of a stale v= link
    assert client.get(f"{API}/runs/lens").json()["parent"]["version"] == old  # its detail still shows it
    with pytest.raises(StaleParent, match=f"now at version {new}"):
        load_run(home, "lens")
    pinned_old = {**CHILD_CONFIG, "parent": {"run_id": "base", "version": old}}
    problem(client.post(f"{API}/runs", json={"family": "child_vae", "dataset": "digits", "config": pinned_old}),
            409, f"parent run 'base' is now at version {new}, not version {old}")


def test_a_parent_removed_by_hand_leaves_its_child_stale_not_broken(client: TestClient, home: Path,
                                                                   problem: Callable[..., Any]) -> None:
    shutil.rmtree(run_dir(home, "base"))  # not through the API, which keeps a parent with children
    problem(client.get(f"{API}/runs/lens/traversal.png"), 409, "'base' is no longer in this artifact store",
            "delete the child")
    assert client.delete(f"{API}/runs/lens").status_code == 204


def test_a_child_made_before_its_parent_changed_does_not_train(home: Path) -> None:
    create_run(home, "child_vae", CHILD_CONFIG, "digits", TRAIN, run_id="late")
    replace_weights(home, "base")
    with pytest.raises(StaleParent, match="'late' is built on run 'base'"):
        train_run(home, "late")


@pytest.mark.parametrize(("config", "words"), [
    ({**CHILD_CONFIG, "parent": {"run_id": "nope"}}, ("ChildConfig.parent", "no run 'nope'")),
    ({**CHILD_CONFIG, "parent": "base"}, ("ChildConfig.parent", "expected {\"run_id\"")),
    ({k: v for k, v in CHILD_CONFIG.items() if k != "parent"}, ("config.parent is required",)),
    ({**CHILD_CONFIG, "parent_latent_dim": 3}, ("K = 3",)),
])
def test_create_names_a_bad_parent(client: TestClient, problem: Callable[..., Any], config: dict[str, Any],
                                   words: tuple[str, ...]) -> None:
    problem(client.post(f"{API}/runs", json={"family": "child_vae", "dataset": "digits", "config": config}), 422,
            "body.config", *words)


def test_create_needs_a_finished_parent(client: TestClient, home: Path, problem: Callable[..., Any]) -> None:
    create_run(home, "vae", {"latent_dim": PARENT_K, "hidden": [32]}, "digits", TRAIN, run_id="raw")
    config = {**CHILD_CONFIG, "parent": {"run_id": "raw"}}
    problem(client.post(f"{API}/runs", json={"family": "child_vae", "dataset": "digits", "config": config}), 422,
            "run 'raw' has no trained weights yet; expected a finished run")


def test_a_child_model_loads_only_with_its_parent(family_home: Path) -> None:
    parent, _ = load_run(family_home, "base")
    with pytest.raises(CheckpointError, match="built on another run; expected its parent model"):
        load_model(run_dir(family_home, "lens"))
    with pytest.raises(CheckpointError, match="takes no parent"):
        load_model(run_dir(family_home, "base"), parent=parent)
    child, _ = load_model(run_dir(family_home, "lens"), parent=parent)  # from a notebook: the parent by hand
    assert child.base is parent
