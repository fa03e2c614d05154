"""evaluate_run: a run's science report computed from its folder and written into its metrics.json."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import models.report as report_module
from backend.runs import create_run, evaluate_run, train_run
from models import EvalConfig, TrainConfig, get_dataset, split_indices

TINY = EvalConfig(n_points=600, n_info=300, chen_items=400, n_classifier=400, dci_estimators=2,
                  factor_vae_votes=30, ll_items=16, ll_samples=100)


def test_evaluate_run_writes_a_labelled_report(home: Path) -> None:
    create_run(home, "vae", {"latent_dim": 4, "hidden": [32], "conv_channels": [8]}, "dsprites",
               TrainConfig(steps=3, batch_size=16, eval_every=3, max_val_items=32), run_id="tiny")
    train_run(home, "tiny")
    fractions: list[float] = []
    report = evaluate_run(home, "tiny", TINY, on_progress=lambda f, m: fractions.append(f))
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    variants = {name: m["variant"] for name, m in report["metrics"].items()}
    assert variants == {"mig_dlib": "mig_dlib", "modularity": "modularity_dlib", "sap": "sap_dlib_discrete",
                        "dci": "dci_dlib", "factor_vae": "factor_vae_dlib", "mig_chen": "mig_chen"}
    assert report["metrics"]["mig_chen"]["factors"] == ["scale", "orientation", "posX", "posY"]
    assert all(np.isfinite(m["value"]) for m in report["metrics"].values())
    assert report["log_likelihood"]["samples"] == 100 and report["log_likelihood"]["iw_elbo"] < 0
    assert report["log_likelihood"]["items"] == report["reconstruction"]["items"] == "held out"
    stored = json.loads((home / "runs" / "tiny" / "metrics.json").read_text())
    assert stored["report"]["metrics"]["mig_dlib"]["value"] == report["metrics"]["mig_dlib"]["value"]
    assert "training" in stored and stored["report"]["version"] == report["version"]
    again = evaluate_run(home, "tiny", TINY)
    assert again["metrics"]["mig_dlib"] == report["metrics"]["mig_dlib"]  # seeded: reproducible


def test_datasets_without_ground_truth_get_no_metrics(home: Path) -> None:
    create_run(home, "vae", {"latent_dim": 3, "hidden": [16]}, "breast_cancer",
               TrainConfig(steps=3, batch_size=16, eval_every=3), run_id="bc")
    train_run(home, "bc")
    report = evaluate_run(home, "bc", replace(TINY, n_info=100))
    assert set(report["metrics"]) == {"mig_dlib", "sap"}  # one factor (diagnosis): no DCI, modularity
    mig = report["metrics"]["mig_dlib"]  # 600 draws with replacement from 569 items
    assert mig["n_points"] == 600 and mig["n_distinct"] < 569


def test_held_out_items_lie_in_the_validation_split(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The "held out" label must be true: reconstruction and log-likelihood use only validation items.
    train = TrainConfig(steps=3, batch_size=16, eval_every=3)
    create_run(home, "vae", {"latent_dim": 3, "hidden": [16]}, "breast_cancer", train, run_id="bc")
    train_run(home, "bc")
    used: list[np.ndarray] = []  # the items each computation is given; the real functions still run

    def spy(real):
        return lambda model, data, idx, *rest: used.append(idx) or real(model, data, idx, *rest)

    for name in ("reconstruction", "iw_test_log_likelihood"):
        monkeypatch.setattr(report_module, name, spy(getattr(report_module, name)))
    report = evaluate_run(home, "bc", replace(TINY, n_info=100, ll_items=40))
    _, val = split_indices(len(get_dataset("breast_cancer")), train.val_fraction, train.seed)
    assert report["reconstruction"]["items"] == "held out" and len(used) == 2
    assert all(len(idx) == 40 and np.isin(idx, val).all() for idx in used)
