"""A run's full report: information per dim, reconstruction, test log-likelihood and every metric the
dataset's ground truth allows, each labelled with its variant (the backend writes it into the run's
metrics.json: ``backend.runs.evaluate_run``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np

from .base import LatentModel
from .collapse import factor_table_warnings
from .datasets import Dataset
from .evaluation import (
    EvalConfig,
    encode_dataset,
    encode_means,
    factor_table,
    iw_test_log_likelihood,
    reconstruction,
    sample_indices,
)
from .metrics import dci, factor_vae_score, mig_chen, mig_dlib, modularity, sap

ProgressFn = Callable[[float, str], None]
FACTOR_VAE_BATCH = 64  # items per FactorVAE vote (dlib)


def _factor_vae_inputs(model: LatentModel, dataset: Dataset, cfg: EvalConfig, rng: np.random.Generator
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dlib's sampling: global codes of random points; per vote a batch of 64 sharing one random factor."""
    grid, batch, votes = dataset.grid, FACTOR_VAE_BATCH, cfg.factor_vae_votes
    if grid is None:
        raise ValueError(f"dataset {dataset.info.name!r} is not a full factor grid; the FactorVAE score needs one")
    global_mu = encode_means(model, dataset, sample_indices(dataset, cfg.n_points, rng))
    fixed = rng.integers(0, grid.n_factors, size=votes)  # (V,) the factor each vote holds fixed
    factors = grid.sample(votes * batch, rng).reshape(votes, batch, grid.n_factors)  # (V, B, F)
    rows = np.arange(votes)
    factors[rows, :, fixed] = factors[rows, 0, fixed][:, None]  # one value of that factor per batch
    votes_mu = encode_means(model, dataset, grid.to_index(factors.reshape(-1, grid.n_factors)))
    return global_mu, votes_mu.reshape(votes, batch, -1), fixed


def _chen(model: LatentModel, dataset: Dataset, cfg: EvalConfig, rng: np.random.Generator,
          tick: Callable[[float], None]) -> dict[str, Any]:
    info = dataset.info
    names = info.extra.get("mig_chen_factors", list(info.factor_names))
    cols = [info.factor_names.index(n) for n in names]
    n = len(dataset) if cfg.chen_items is None else min(cfg.chen_items, len(dataset))
    idx = np.arange(len(dataset)) if n == len(dataset) else np.sort(rng.choice(len(dataset), n, replace=False))
    mu, logvar = encode_dataset(model, dataset, idx, on_batch=lambda f: tick(0.5 * f))
    result = mig_chen(mu, logvar, dataset.factors(idx)[:, cols], np.asarray(info.factor_sizes)[cols],
                      rng=cfg.seed, on_progress=lambda f: tick(0.5 + 0.5 * f)).as_dict()
    return {**result, "n_items": n, "factors": names}


def _classifier_points(model: LatentModel, dataset: Dataset, cfg: EvalConfig, rng: np.random.Generator
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Codes (M, K) and factors (M, F) of M distinct random items for SAP and DCI, which split them into train
    and test: the points the other metrics use are drawn with replacement (as dlib does), and on a small
    dataset a repeated item would sit in both halves."""
    distinct = rng.choice(len(dataset), size=min(cfg.n_classifier, len(dataset)), replace=False)
    codes = encode_means(model, dataset, distinct)
    return codes, dataset.factors(distinct)


def metric_suite(model: LatentModel, dataset: Dataset, cfg: EvalConfig, progress: ProgressFn) -> dict[str, Any]:
    """Every metric the ground truth allows (none without factors), each with its variant and sizes."""
    if not dataset.info.factor_names:
        return {}
    rng, out = np.random.default_rng(cfg.seed), {}
    idx = sample_indices(dataset, cfg.n_points, rng)
    codes = encode_means(model, dataset, idx)
    factors = dataset.factors(idx)
    drawn = {"n_points": len(idx), "n_distinct": len(np.unique(idx))}  # draws with replacement repeat items
    out["mig_dlib"] = {**mig_dlib(codes, factors).as_dict(), **drawn}
    clf_codes, clf_factors = _classifier_points(model, dataset, cfg, rng)
    m = len(clf_codes)
    out["sap"] = {**sap(clf_codes, clf_factors).as_dict(), "n_points": m}
    if factors.shape[1] >= 2:  # both normalise by log F or F - 1: undefined for one factor
        out["modularity"] = {**modularity(codes, factors).as_dict(), **drawn}
        progress(0.35, "DCI (gradient-boosted trees)")
        out["dci"] = {**dci(clf_codes, clf_factors, n_estimators=cfg.dci_estimators, seed=cfg.seed).as_dict(),
                      "n_points": m, "n_estimators": cfg.dci_estimators}
    if dataset.grid is not None:
        progress(0.55, "FactorVAE score")
        out["factor_vae"] = {**factor_vae_score(*_factor_vae_inputs(model, dataset, cfg, rng)).as_dict(),
                             "n_votes": cfg.factor_vae_votes, "batch": FACTOR_VAE_BATCH}
        progress(0.65, "MIG (Chen): encoding and entropies")
        out["mig_chen"] = _chen(model, dataset, cfg, rng, lambda f: progress(0.65 + 0.3 * f, "MIG (Chen)"))
    return out


def build_report(model: LatentModel, dataset: Dataset, cfg: EvalConfig, progress: ProgressFn,
                 held_out: np.ndarray | None = None) -> dict[str, Any]:
    """``held_out``: the items the model never trained on (its validation split), where reconstruction and
    test log-likelihood are measured; None = any items (a model trained elsewhere), and the report says so."""
    start, rng = time.perf_counter(), np.random.default_rng(cfg.seed + 1)
    progress(0.0, "information per latent dim")
    report: dict[str, Any] = {"factors": factor_table(model, dataset, cfg.n_info, cfg.seed)}
    report["warnings"] = factor_table_warnings(report["factors"])  # a collapsed model is flagged (models.collapse)
    pool = np.arange(len(dataset)) if held_out is None else held_out
    held = np.sort(rng.choice(pool, size=min(cfg.ll_items, len(pool)), replace=False))
    items = {"n_items": len(held), "items": "all" if held_out is None else "held out"}
    report["reconstruction"] = {**reconstruction(model, dataset, held), **items}
    progress(0.1, "importance-weighted log-likelihood")
    report["log_likelihood"] = {"iw_elbo": iw_test_log_likelihood(model, dataset, held, cfg.ll_samples, cfg.seed),
                                "samples": cfg.ll_samples, **items}
    report["metrics"] = metric_suite(model, dataset, cfg, lambda f, m: progress(0.2 + 0.8 * f, m))
    report["settings"] = asdict(cfg)
    report["seconds"] = round(time.perf_counter() - start, 1)
    progress(1.0, "report written")
    return report

