"""A JLVM run (seed 001, Sec. 5) made and trained through POST /api/v1/runs like any family: its config names the
attributes and the oracle's labels, a config that does not fit the dataset is a 422 naming the field, and the
trained run carries the head the lens page and the results read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from app_client import AppClient as TestClient

from backend.config import Settings
from backend.jobs import run_worker
from backend.main import create_app
from backend.runs import load_run
from models import get_dataset
from models.families.jlvm import JLVM

API = "/api/v1"
BODY = {"run_id": "joint", "family": "jlvm", "dataset": "digits",
        "config": {"latent_dim": 4, "hidden": [16], "n_labels": 150, "label_seed": 2, "compression": 0.5,
                   "attributes": [{"name": "label", "kind": "categorical", "n_classes": 10},
                                  {"name": "thickness", "kind": "continuous", "mean": 1.9, "std": 0.3}]},
        "train": {"steps": 30, "batch_size": 64, "eval_every": 30, "checkpoint_every": 0}}


def test_post_runs_trains_a_jlvm_end_to_end(fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    settings = settings_for(fresh_home)
    app = create_app(settings)
    with TestClient(app) as c:
        families = {f["name"]: f for f in c.get(f"{API}/families").json()["families"]}
        assert families["jlvm"]["made_by"] is None  # the training form offers it
        assert families["jlvm"]["capabilities"] == ["attributes", "traversal"]  # PredictsAttributes, HasPrior
        assert {"attributes", "n_labels", "label_seed", "compression"} <= set(families["jlvm"]["config_schema"]
                                                                               ["properties"])
        made = c.post(f"{API}/runs", json=BODY)
        assert made.status_code == 202, made.text
        run_worker(settings, once=True, store=app.state.jobs)
        assert c.get(made.json()["job_url"]).json()["state"] == "succeeded"
        run = c.get(f"{API}/runs/joint").json()
    assert run["status"] == "ready" and run["family"] == "jlvm" and run["config"]["n_labels"] == 150
    terms = run["metrics"]["training"]["train_terms"]
    assert terms["labelled"] > 0 and terms["side_ll"] < 0 and terms["compression"] >= 0  # the labels reached batches
    model, _ = load_run(fresh_home, "joint")
    assert isinstance(model, JLVM)
    x = torch.from_numpy(get_dataset("digits").items(np.arange(5)))
    with torch.no_grad():
        predicted = model.predict_attributes(model.encode(x).mean)
    assert predicted["label"].shape == (5, 10)  # type: ignore[union-attr]
    assert [t.shape for t in predicted["thickness"]] == [(5,), (5,)]


def test_a_jlvm_config_that_does_not_fit_the_dataset_is_a_422(fresh_home: Path, settings_for: Callable[..., Settings],
                                                             problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        before = c.get(f"{API}/runs").json()["runs"]
        problem(c.post(f"{API}/runs", json={"family": "jlvm", "dataset": "bars"}), 422, "JLVMConfig.attributes",
                "has no attribute 'label'")
        wrong = {**BODY, "config": {**BODY["config"], "n_labels": 1_798}}  # type: ignore[dict-item]
        problem(c.post(f"{API}/runs", json=wrong), 422, "JLVMConfig.n_labels", "at most 1,797")
        assert c.get(f"{API}/runs").json()["runs"] == before  # nothing was made
