"""Lenses through the API (issue 16): a tiny FILVM lens over the shared tiny vae on digits (label + thickness),
created with oracle labels and trained by the real worker; its list, detail, score (lens and baseline), z*
embedding and manipulation grid; label uploads checked row by row; a refit making a new version; the base run
kept from being deleted alone; a stale base reported."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from app_client import AppClient as TestClient  # sends the write header, as our clients do
from PIL import Image
from safetensors import safe_open

from backend.config import Settings
from backend.jobs import run_worker
from backend.lenses.labels import LABELS_FILE, NEXT_LABELS_FILE, commit, load_labels, oracle_labels, save_labels
from backend.main import create_app
from backend.runs import read_record, run_dir
from models import get_dataset, reveal
from models.checkpoint import WEIGHTS_FILE, load_model, save_model

API = "/api/v1"
RUN = "tiny"  # conftest's shared tiny vae on digits (K = 4)
LENSES = f"{API}/runs/{RUN}/lenses"
LENS = "lens-a"
BODY = {"lens_id": LENS, "variant": "filvm", "k": 3, "T": 2, "attributes": ["label", "thickness"],
        "labels": {"oracle": {"n": 200, "seed": 0}}, "hidden": [16],
        "fit": {"steps": 40, "batch_size": 64, "lr": 0.003}}


def work(client: TestClient, settings: Settings) -> None:
    """Run the queued job in the real worker (one job, then return)."""
    run_worker(settings, once=True, store=client.app.state.jobs)


def serve(home: Path, settings_for: Callable[..., Settings]) -> TestClient:
    return TestClient(create_app(settings_for(home)))


@pytest.fixture(scope="module")
def lens_home(trained_home: Path, tmp_path_factory: pytest.TempPathFactory,
              settings_for: Callable[..., Settings]) -> Path:
    """The shared tiny run and a trained lens ``lens-a`` on it, made through the API."""
    home = tmp_path_factory.mktemp("lens-home")
    shutil.copytree(trained_home / "runs", home / "runs")
    with serve(home, settings_for) as c:
        made = c.post(LENSES, json=BODY)
        assert made.status_code == 202, made.text
        assert made.json()["run_id"] == LENS and made.headers["Location"] == made.json()["job_url"]
        work(c, settings_for(home))
        job = c.get(made.json()["job_url"]).json()
        assert job["state"] == "succeeded", job
    return home


@pytest.fixture(scope="module")
def client(lens_home: Path, settings_for: Callable[..., Settings]) -> Iterator[TestClient]:
    with serve(lens_home, settings_for) as c:
        yield c


@pytest.fixture
def home(lens_home: Path, tmp_path: Path) -> Path:
    """A copy of ``lens_home`` a test may change."""
    shutil.copytree(lens_home / "runs", tmp_path / "home" / "runs")
    return tmp_path / "home"


@pytest.fixture
def own(home: Path, settings_for: Callable[..., Settings]) -> Iterator[TestClient]:
    with serve(home, settings_for) as c:
        yield c


def version_of(home: Path, run_id: str) -> str:
    version = read_record(home, run_id).version
    assert version is not None
    return version


def test_a_lens_is_listed_with_its_config_labels_and_versions(client: TestClient, lens_home: Path) -> None:
    listed = client.get(LENSES).json()["lenses"]
    assert [x["lens_id"] for x in listed] == [LENS]
    detail = client.get(f"{LENSES}/{LENS}").json()
    assert detail["status"] == "ready" and detail["version"] == version_of(lens_home, LENS)
    assert detail["parent_version"] == version_of(lens_home, RUN) and detail["stale_parent"] is None
    assert detail["config"]["variant"] == "filvm" and detail["config"]["latent_dim"] == 3 and detail["k"] == 3
    assert detail["train"]["steps"] == 40
    labels = detail["labels"]
    assert labels["sources"] == [{"oracle": {"n": 200, "seed": 0}}] and labels["n_labels"] == 400
    assert labels["attributes"]["label"]["n_labelled"] == 200
    assert sum(labels["attributes"]["label"]["class_counts"].values()) == 200
    assert 0 < labels["attributes"]["thickness"]["min"] <= labels["attributes"]["thickness"]["max"]
    assert detail["training"]["steps"] == 40 and detail["training"]["refit_of"] is None


def test_the_score_holds_the_lens_and_the_base_latents(client: TestClient) -> None:
    score = client.get(f"{LENSES}/{LENS}/score").json()
    assert score["truth"] == "oracle ground truth" and "quantile" in score["binning"]
    for name, row in score["attributes"].items():
        assert row["n_train"] == 200 and row["n_test"] == 1597, name  # the other 1,597 digits, held out
        assert row["binned"] == (name == "thickness")
        for code, k in (("lens", 3), ("base", 4)):
            assert 0 < row[code]["value"] <= 1 and 0 <= row[code]["accuracy"] <= 1, (name, code)
            assert 0 <= row[code]["dim"] < k
    assert client.get(f"{LENSES}/{LENS}").json()["score"]["attributes"] == score["attributes"]


def test_the_embedding_gives_z_star_and_the_attribute(client: TestClient, problem: Callable[..., Any]) -> None:
    body = client.get(f"{LENSES}/{LENS}/embedding?attribute=thickness&n=50").json()
    assert len(body["index"]) == len(body["x"]) == len(body["values"]) == 50
    assert body["axes"] == ["z*1", "z*0"]  # FILVM: thickness owns z*_1, the label z*_0
    assert all(len(z) == 3 for z in body["z_star"]) and body["x"] == [z[1] for z in body["z_star"]]
    problem(client.get(f"{LENSES}/{LENS}/embedding?attribute=slant"), 422, "no attribute 'slant'")


def png_size(content: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(content)).size


def test_the_manipulation_grid_is_a_png_like_a_traversal(client: TestClient, lens_home: Path) -> None:
    url = f"{LENSES}/{LENS}/manipulation.png?base=item:5&a=label&b=thickness&steps=3"
    got = client.get(url)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    same_shape = client.get(f"{API}/runs/{LENS}/traversal.png?dims=0,1,2&steps=3")  # the lens as a run: 3 x 3
    assert same_shape.status_code == 200 and png_size(got.content) == png_size(same_shape.content)
    one_row = client.get(f"{LENSES}/{LENS}/manipulation.png?base=item:5&a=thickness&steps=4")
    assert png_size(one_row.content) == png_size(client.get(f"{API}/runs/{LENS}/traversal.png?dims=0&steps=4").content)
    assert client.get(url, headers={"If-None-Match": got.headers["ETag"]}).status_code == 304
    pinned = client.get(f"{url}&v={version_of(lens_home, LENS)}")
    assert "immutable" in pinned.headers["Cache-Control"] and "immutable" not in got.headers["Cache-Control"]


def test_the_manipulation_grid_checks_its_query(client: TestClient, problem: Callable[..., Any]) -> None:
    base = f"{LENSES}/{LENS}/manipulation.png"
    problem(client.get(f"{base}?base=item:99999&a=label"), 422, "item 99999 is out of range")
    problem(client.get(f"{base}?base=item:1&a=size"), 422, "query.a", "no attribute 'size'")
    problem(client.get(f"{base}?base=prior:1&a=label"), 422, "item:<index>")
    problem(client.get(f"{base}?base=item:1&a=label&colour=red"), 422, "colour")


def test_the_lens_saves_only_its_own_weights(lens_home: Path) -> None:
    with safe_open(str(run_dir(lens_home, LENS) / WEIGHTS_FILE), "pt") as f:
        keys = list(f.keys())
    assert keys and all(k.startswith("lens.") for k in keys)


def test_a_bad_upload_row_is_named(client: TestClient, problem: Callable[..., Any]) -> None:
    csv = "item,attribute,value\n3,label,7\n4,label,eleven\n"
    body = {**BODY, "lens_id": "lens-bad", "labels": {"csv": csv}}
    problem(client.post(LENSES, json=body), 422, "body.labels.csv", "row 3", "value", "eleven")
    rows = [{"item": 1, "attribute": "thickness", "value": 99.0}]
    problem(client.post(LENSES, json={**body, "labels": {"rows": rows}}), 422, "row 1", "value", "thickness")
    problem(client.post(LENSES, json={**body, "attributes": ["label", "slant"]}), 422, "body.attributes", "slant")
    assert [x["lens_id"] for x in client.get(LENSES).json()["lenses"]] == [LENS]  # nothing was made


def test_a_refit_adds_labels_and_makes_a_new_version(own: TestClient, home: Path,
                                                     settings_for: Callable[..., Settings]) -> None:
    old = version_of(home, LENS)
    rows = [{"item": i, "attribute": "label", "value": str(i % 10)} for i in range(1000, 1010)]
    made = own.post(f"{LENSES}/{LENS}/refit", json={"labels": {"rows": rows}, "steps": 10})
    assert made.status_code == 202, made.text
    assert own.get(f"{LENSES}/{LENS}").json()["status"] == "refitting"
    work(own, settings_for(home))
    assert own.get(made.json()["job_url"]).json()["state"] == "succeeded"
    detail = own.get(f"{LENSES}/{LENS}").json()
    assert detail["version"] != old and detail["status"] == "ready"
    assert detail["training"]["refit_of"] == old and detail["training"]["steps"] == 10
    assert detail["labels"]["sources"][1] == {"upload": {"kind": "rows", "rows": 10}}
    assert detail["labels"]["attributes"]["label"]["n_labelled"] == 200 + len(
        set(range(1000, 1010)) - set(labels_of(home)))
    assert detail["score"]["truth"] == "labels split train/test"  # uploaded labels: no ground truth assumed


def test_a_refit_keeps_the_old_version_readable(own: TestClient, home: Path,
                                                 settings_for: Callable[..., Settings]) -> None:
    old, before = version_of(home, LENS), own.get(f"{LENSES}/{LENS}").json()
    grid = f"{LENSES}/{LENS}/manipulation.png?base=item:5&a=label&steps=3"
    old_png = own.get(grid).content
    own.post(f"{LENSES}/{LENS}/refit", json={"labels": {"oracle": {"n": 30, "seed": 4}}, "steps": 10})
    work(own, settings_for(home))
    new = version_of(home, LENS)
    assert new != old
    pinned = own.get(f"{LENSES}/{LENS}?v={old}").json()
    assert pinned["version"] == old and pinned["labels"] == before["labels"]
    assert pinned["score"] == before["score"] and pinned["training"] == before["training"]
    assert own.get(f"{LENSES}/{LENS}/score?v={old}").json()["version"] == old
    image = own.get(f"{grid}&v={old}")
    assert image.status_code == 200 and image.content == old_png and "immutable" in image.headers["Cache-Control"]
    run = own.get(f"{API}/runs/{LENS}?v={old}").json()
    assert run["version"] == old and run["latest_version"] == new
    assert own.get(f"{API}/runs/{LENS}").json()["latest_version"] == new
    body = own.get(f"{LENSES}/{LENS}?v={'0' * 12}").json()  # a version the lens never had
    assert body["status"] == 409 and body["current_version"] == new


def labels_of(home: Path) -> list[int]:
    """The items the oracle labelled at creation (n = 200, seed 0)."""
    return reveal(get_dataset("digits"), ["label"], 200, 0).indices("label").tolist()


def test_the_base_run_is_deleted_only_with_its_lens(own: TestClient, home: Path,
                                                   problem: Callable[..., Any]) -> None:
    problem(own.delete(f"{API}/runs/{RUN}"), 409, LENS, "with_children=true")
    assert own.delete(f"{API}/runs/{RUN}?with_children=true").status_code == 204
    assert not run_dir(home, LENS).exists()


def test_a_lens_is_deleted_alone(own: TestClient, home: Path, problem: Callable[..., Any]) -> None:
    assert own.delete(f"{LENSES}/{LENS}").status_code == 204
    assert own.get(LENSES).json()["lenses"] == [] and run_dir(home, RUN).exists()
    problem(own.get(f"{LENSES}/{LENS}"), 404, f"no lens {LENS!r}")


def test_a_replaced_base_makes_the_lens_stale(own: TestClient, home: Path, problem: Callable[..., Any]) -> None:
    old = version_of(home, RUN)
    folder = run_dir(home, RUN)
    model, header = load_model(folder)
    with torch.no_grad():
        next(model.parameters()).add_(0.5)  # as a retraining would
    save_model(model, folder, {k: v for k, v in header.items() if k != "weights_sha256"}, make_dir=False)
    detail = own.get(f"{LENSES}/{LENS}").json()
    assert f"at version {old}" in detail["stale_parent"] and detail["parent_version"] == old
    body = problem(own.get(f"{LENSES}/{LENS}/score"), 409, f"built on run {RUN!r} at version {old}")
    assert body["type"].endswith("version-mismatch")


def test_a_non_finite_loss_fails_the_refit_and_keeps_the_lens(own: TestClient, home: Path,
                                                              settings_for: Callable[..., Settings]) -> None:
    folder = run_dir(home, LENS)
    model, header = load_model(folder, parent=load_model(run_dir(home, RUN))[0])
    with torch.no_grad():
        model.lens.generative.net[0].weight.fill_(float("nan"))  # weights gone bad: the first loss is NaN
    save_model(model, folder, {k: v for k, v in header.items() if k != "weights_sha256"}, make_dir=False)
    version, labels = version_of(home, LENS), (folder / "labels.json").read_text()
    made = own.post(f"{LENSES}/{LENS}/refit", json={"labels": {"oracle": {"n": 20, "seed": 1}}, "steps": 5})
    work(own, settings_for(home))
    job = own.get(made.json()["job_url"]).json()
    assert job["state"] == "failed" and "the loss became nan" in job["error"]
    detail = own.get(f"{LENSES}/{LENS}").json()
    assert detail["version"] == version and "the last refit failed" in detail["error"]
    assert (folder / "labels.json").read_text() == labels  # the refit's labels were not taken on


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"variant": "filvm", "k": 1}, 422, ("body.config", "expected k >= 2")),
    ({"labels": {"oracle": {"n": 5000, "seed": 0}}}, 422, ("body.labels.oracle.n", "1..1797")),
    ({"labels": {"oracle": {"n": 0}}}, 422, ("n",)),
    ({"labels": {"csv": "item,value\n1,2\n"}}, 422, ("row 1", "header")),
    ({"labels": {"rows": [{"item": 2, "attribute": "label", "value": "3"}], "oracle": {"n": 2}}}, 422, ("labels",)),
    ({"labels": {"rows": [{"item": 2, "attribute": "label", "value": True}]}}, 422, ("rows.0.value",)),  # not 1
    ({"labels": {"rows": [{"item": True, "attribute": "label", "value": 3}]}}, 422, ("rows.0.item",)),
    ({"lens_id": LENS}, 409, (LENS, "already exists")),
    ({"T": 1, "typo": 1}, 422, ("typo",)),
])
def test_create_refuses_what_it_cannot_make(client: TestClient, problem: Callable[..., Any], change: dict[str, Any],
                                           status: int, words: tuple[str, ...]) -> None:
    problem(client.post(LENSES, json={**BODY, "lens_id": "lens-x", **change}), status, *words)
    assert [x["lens_id"] for x in client.get(LENSES).json()["lenses"]] == [LENS]


def test_post_runs_refuses_the_lens_family_and_the_form_is_told(client: TestClient,
                                                                problem: Callable[..., Any]) -> None:
    """A lens made by POST /runs would train without its labels: the lens route makes lenses."""
    body = {"family": "lens", "dataset": "digits", "config": {}}
    problem(client.post(f"{API}/runs", json=body), 422, "body.family", "POST /api/v1/runs/{run_id}/lenses")
    made_by = {f["name"]: f["made_by"] for f in client.get(f"{API}/families").json()["families"]}
    assert made_by["lens"] == "POST /api/v1/runs/{run_id}/lenses" and made_by["vae"] is None


def test_a_lens_needs_a_finished_base(client: TestClient, problem: Callable[..., Any]) -> None:
    problem(client.post(f"{API}/runs/nope/lenses", json=BODY), 404, "no run 'nope'")
    problem(client.get(f"{API}/runs/nope/lenses"), 404, "no run 'nope'")
    problem(client.get(f"{API}/runs/{LENS}/lenses/{RUN}"), 404, f"no lens {RUN!r} on run {LENS!r}")


def test_labels_added_during_a_fit_wait_for_the_next(home: Path) -> None:
    folder, digits = run_dir(home, LENS), get_dataset("digits")
    trained = load_labels(folder, digits).merge(oracle_labels(digits, ("label",), 5, 7))
    save_labels(folder, trained.merge(oracle_labels(digits, ("thickness",), 5, 8)), pending=True)  # added meanwhile
    commit(folder, digits, trained)
    assert load_labels(folder, digits) == trained and (folder / NEXT_LABELS_FILE).is_file()
    save_labels(folder, trained, pending=True)  # nothing added: the pending file goes
    commit(folder, digits, trained)
    assert not (folder / NEXT_LABELS_FILE).exists() and (folder / LABELS_FILE).is_file()


def test_the_run_views_serve_a_lens_as_a_latent_model(client: TestClient) -> None:
    run = client.get(f"{API}/runs/{LENS}").json()
    assert run["family"] == "lens" and run["latent_dim"] == 3 and run["parent"]["run_id"] == RUN
    decoded = client.post(f"{API}/runs/{LENS}/decode", json={"z": [[0.0, 0.0, 0.0]]})
    assert decoded.status_code == 200, decoded.text
    factors = client.get(f"{API}/runs/{LENS}/factors?n=100")
    assert factors.status_code == 200 and len(factors.json()["dims"]) == 3
    assert client.get(f"{API}/runs/{LENS}/reconstruct.png?items=0,1").status_code == 200
