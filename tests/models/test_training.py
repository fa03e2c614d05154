"""The generic loop learns, resumes exactly where it stopped, stops early and can be cancelled."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from backend.config import Settings
from backend.jobs import run_worker
from backend.main import create_app
from models import DataSpec, Progress, TrainConfig, TrainingCancelled, fit, get_dataset, get_family
from models.checkpoint import WEIGHTS_FILE
from models.training import (
    NonFiniteTraining,
    batch_indices,
    check_weights,
    split_indices,
    validation_items,
    validation_loss,
)


def _setup(dataset: str, family: str = "vae", **cfg):
    data = get_dataset(dataset)
    train_cfg = TrainConfig(**{"steps": 200, "batch_size": 64, "eval_every": 50, "log_every": 10,
                               "checkpoint_every": 0, **cfg})
    train, val = split_indices(len(data), train_cfg.val_fraction, train_cfg.seed)
    spec = get_family(family)
    model = spec.build(spec.config({"latent_dim": 8, "hidden": [128]}), DataSpec.from_info(data.info, len(train)))
    return model, data, train, val, train_cfg


@pytest.mark.parametrize(("dataset", "family"), [("digits", "vae"), ("bars", "vae"), ("digits", "beta_tcvae")])
def test_training_lowers_the_loss(dataset: str, family: str) -> None:
    model, data, train, val, cfg = _setup(dataset, family, steps=300, lr=2e-3)
    before = validation_loss(model, data, val, cfg)
    events = []
    loop = fit(model, data, train, val, cfg, on_progress=events.append)
    assert [e.step for e in events][:2] == [10, 20] and events[-1].step == 300
    assert 0 < events[0].fraction < events[-1].fraction == 1.0
    vals = [h["val_loss"] for h in loop.history]
    assert vals[-1] < vals[0] and vals[-1] < before - 0.2 * abs(before), (before, vals)
    assert events[-1].terms["loss"] < events[0].terms["loss"]


def test_a_capped_validation_set_spans_the_dataset_in_a_mixed_order() -> None:
    data = get_dataset("dsprites")  # stored in factor order: shape, scale, orientation, x, y
    _, val = split_indices(len(data), 0.1, seed=0)
    items = validation_items(val, 1024, seed=0)
    assert len(np.unique(items)) == 1024 and np.isin(items, val).all()
    assert len(np.unique(data.factors(items)[:, :2], axis=0)) == 3 * 6  # every shape at every scale
    first_batch = data.factors(items[:256])[:, :2]
    assert len(np.unique(first_batch, axis=0)) == 3 * 6  # each validation batch mixes them too
    assert (validation_items(val, 1024, seed=0) == items).all()
    assert (np.sort(validation_items(val[:10], 1024, seed=0)) == val[:10]).all()


def test_resume_continues_from_the_saved_step_and_matches(tmp_path: Path) -> None:
    model, data, train, val, cfg = _setup("digits", steps=60, checkpoint_every=20, eval_every=20)
    ckpt = tmp_path / "ckpt"

    def cancel_at_50(p):
        if p.step == 50:
            raise TrainingCancelled

    with pytest.raises(TrainingCancelled):
        fit(model, data, train, val, cfg, on_progress=cancel_at_50, checkpoint_dir=ckpt)
    resumed, *_ = _setup("digits")
    seen = []
    loop = fit(resumed, data, train, val, cfg, on_progress=lambda p: seen.append(p.step), checkpoint_dir=ckpt)
    assert seen[0] == 50 and seen[-1] == 60  # steps 41..60 ran again; 1..40 did not
    assert loop.step == 60 and [h["step"] for h in loop.history] == [20, 40, 60]

    straight, *_ = _setup("digits")
    fit(straight, data, train, val, cfg)
    for (name, a), b in zip(resumed.state_dict().items(), straight.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_early_stop_restores_the_best_weights() -> None:
    model, data, train, val, cfg = _setup("digits", steps=2000, eval_every=10, patience=2, lr=0.05)
    loop = fit(model, data, train, val, cfg)
    assert loop.stopped_early and loop.step < 2000
    assert loop.best_val == min(h["val_loss"] for h in loop.history) < loop.history[-1]["val_loss"]
    assert validation_loss(model, data, val, cfg) == pytest.approx(loop.best_val, rel=1e-6)  # the best weights
    vals = [h["val_loss"] for h in loop.history]
    assert loop.bad_evals == 2 and len(vals) - 1 - vals.index(min(vals)) == 2  # stopped after `patience` bad evals


def test_a_loss_that_is_not_finite_stops_training_with_a_clear_error() -> None:
    model, data, train, val, cfg = _setup("digits", steps=20)
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    with pytest.raises(NonFiniteTraining, match=r"step 1/20: the loss became nan \(loss = nan, .*lower lr \(now 0.001"):
        fit(model, data, train, val, cfg)


def test_weights_that_become_non_finite_after_the_last_loss_fail_the_training(tmp_path: Path) -> None:
    """The last step's update is seen by no loss: the weights are checked at the end (and at each validation pass
    and checkpoint), so a model with NaN weights is never returned as trained, nor checkpointed."""
    model, data, train, val, cfg = _setup("digits", steps=20, eval_every=100, log_every=10, checkpoint_every=20)

    def break_weights_at_20(p: Progress) -> None:  # after step 20's update, before its checkpoint and the end
        if p.step == 20:
            with torch.no_grad():
                model.get_parameter("decoder.0.0.weight")[:2, :3] = float("nan")

    with pytest.raises(NonFiniteTraining, match=r"step 20/20: 6 weights became NaN or infinite \(in decoder"):
        fit(model, data, train, val, cfg, on_progress=break_weights_at_20, checkpoint_dir=tmp_path / "ckpt")
    assert not (tmp_path / "ckpt").exists()  # step 20's checkpoint was never written


def test_check_weights_counts_the_non_finite_values_and_names_their_tensors() -> None:
    model, *_, cfg = _setup("digits", steps=50)
    check_weights(model, 7, cfg)  # all finite: no error
    with torch.no_grad():
        for i, (_, tensor) in enumerate(model.named_parameters()):
            tensor.view(-1)[0] = float("inf") if i % 2 else float("nan")
    names = [name for name, _ in model.named_parameters()]
    with pytest.raises(NonFiniteTraining, match=rf"step 7/50: {len(names)} weights .* \(in {re.escape(names[0])}, "
                       rf".* and {len(names) - 3} more tensors\)"):
        check_weights(model, 7, cfg)


def test_a_diverging_training_fails_its_job_and_its_run_through_the_real_worker(tmp_path: Path) -> None:
    """An ISA-VAE at lr = 10 (the largest allowed) overflows within a few steps: the worker fails the job naming the
    step and the non-finite loss, the run is failed with that reason (never ready), and no weights are written."""
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/jobs.db", allowed_hosts=["testserver"])
    body = {"run_id": "diverges", "family": "isa_vae", "dataset": "digits",
            "config": {"latent_dim": 4, "hidden": [32], "subspace_sizes": [2, 2]},
            "train": {"steps": 50, "batch_size": 32, "lr": 10.0, "eval_every": 10, "checkpoint_every": 5}}
    with TestClient(create_app(settings), headers={"X-Requested-With": "factorscope"}) as c:
        job_url = c.post("/api/v1/runs", json=body).json()["job_url"]
        run_worker(settings, once=True, store=c.app.state.jobs)
        job, run = c.get(job_url).json(), c.get("/api/v1/runs/diverges").json()
    assert job["state"] == "failed" and job["error"].startswith("NonFiniteTraining: step "), job
    assert "the loss became inf" in job["error"] and "lower lr (now 10)" in job["error"]
    assert run["status"] == "failed" and run["version"] is None and run["error"] == job["error"]
    assert not (tmp_path / "runs" / "diverges" / WEIGHTS_FILE).exists()


def test_batches_are_a_pure_function_of_seed_and_step() -> None:
    train = np.arange(100, 200)
    a = batch_indices(train, 32, seed=3, step=5)
    assert np.array_equal(a, batch_indices(train, 32, seed=3, step=5))
    assert not np.array_equal(a, batch_indices(train, 32, seed=4, step=5))
    epoch = np.concatenate([batch_indices(train, 32, 3, s) for s in range(3)])
    assert len(set(epoch)) == 96 and set(epoch) <= set(train)
    tr, va = split_indices(1000, 0.1, 0)
    assert len(va) == 100 and not set(tr) & set(va)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("steps", 0, "steps must be >= 1"), ("batch_size", 1, "batch_size must be >= 2"),
    ("val_fraction", 0.7, "val_fraction"), ("device", "tpu", "device must be"), ("threads", -1, "threads must be"),
])
def test_train_config_checks(field: str, value, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{field: value})


def test_threads_apply_while_training_and_are_restored() -> None:
    model, data, train, val, cfg = _setup("digits", steps=4, eval_every=4, threads=1)
    seen: list[int] = []
    before = torch.get_num_threads()
    fit(model, data, train, val, cfg, on_progress=lambda p: seen.append(torch.get_num_threads()))
    assert seen == [1] and torch.get_num_threads() == before


def test_a_checkpoint_is_always_complete(tmp_path: Path) -> None:
    """Each save leaves one consistent set of files; a stale set never confuses a resume."""
    model, data, train, val, cfg = _setup("digits", steps=30, checkpoint_every=10, eval_every=10)
    ckpt = tmp_path / "ckpt"
    fit(model, data, train, val, cfg, checkpoint_dir=ckpt)
    assert sorted(p.name for p in ckpt.iterdir()) == ["model-30.safetensors", "state-30.safetensors", "state.json"]
    (ckpt / "model-10.safetensors").write_bytes(b"left over by a kill during a save")
    resumed, *_ = _setup("digits")
    seen: list[int] = []
    loop = fit(resumed, data, train, val, cfg, on_progress=lambda p: seen.append(p.step), checkpoint_dir=ckpt)
    assert loop.step == 30 and seen == []  # resumed from step 30's set, the stale file ignored: no step ran again
