"""The lens's score table (issue 16 item 5; seed 001 Sec. 4): for each attribute, ``models.interpretability`` of
the lens's z* and, as the baseline, of the base run's own latent means, on the same held-out labelled items.

Held-out items: with labels from the simulated oracle only, the items the lens was not given labels for (up to
``MAX_TEST``, drawn with the seed), scored against the dataset's ground truth; otherwise the labelled items split
train/test with the seed (``TEST_FRACTION`` held out). A continuous attribute is first binned into
``N_BINS`` classes by ``models.quantile_classes`` (quantiles of its training items)."""

from __future__ import annotations

from typing import Any

import numpy as np

from models import Dataset, interpretability, quantile_classes

from .labels import Labels

MAX_TEST, TEST_FRACTION, N_BINS = 2000, 0.3, 5
BINNING = f"continuous attributes binned into {N_BINS} classes at the quantiles of their training items"


def held_out(pool: np.ndarray, labelled: np.ndarray, oracle: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) positions into ``pool`` (N,) sorted item indices, given the labelled items (L,) of one
    attribute: oracle -> (labelled, up to MAX_TEST unlabelled); else the labelled ones split with the seed."""
    rng = np.random.default_rng([seed, 1])
    known = np.searchsorted(pool, labelled)  # (L,) positions (pool holds every labelled item)
    if oracle:
        others = np.setdiff1d(np.arange(len(pool)), known)
        return known, np.sort(rng.choice(others, size=min(MAX_TEST, len(others)), replace=False))
    order = rng.permutation(known)
    n_test = round(TEST_FRACTION * len(order))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def values_of(dataset: Dataset, labels: Labels, name: str, pool: np.ndarray, oracle: bool) -> np.ndarray:
    """(N,) values of attribute ``name`` for the pool: ground truth (oracle), else the labels (0 elsewhere)."""
    if oracle:
        return dataset.attribute_values(name, pool)
    values = np.zeros(len(pool), dtype=labels.labels.attribute(name).dtype)
    values[np.searchsorted(pool, labels.labels.indices(name))] = labels.labels.values(name)
    return values


def score_one(codes: np.ndarray, classes: np.ndarray, train: np.ndarray, test: np.ndarray, seed: int
              ) -> dict[str, Any]:
    """``interpretability`` as a table row; a row saying why when the items cannot be scored."""
    try:
        result = interpretability(codes, classes, train, test, seed=seed)
    except ValueError as err:
        return {"value": None, "error": str(err)}
    return {"value": result.value, "accuracy": result.scores["accuracy"],
            "mean_log_prob": result.scores["mean_log_prob"], "dim": int(result.scores["dim"])}


def score_table(dataset: Dataset, labels: Labels, pool: np.ndarray, z_star: np.ndarray, base: np.ndarray,
                seed: int) -> dict[str, Any]:
    """pool (N,) item indices, z_star (N, k) the lens's codes, base (N, D) the base run's latent means ->
    {"attributes": {name: {"lens", "base", "n_train", "n_test", "binned"}}, "truth", "binning"}."""
    oracle, rows = labels.oracle_only, {}
    for name in labels.labels.attributes:
        train, test = held_out(pool, labels.labels.indices(name), oracle, seed)
        values = values_of(dataset, labels, name, pool, oracle)
        continuous = labels.labels.attribute(name).kind == "continuous"
        classes = quantile_classes(values, train, N_BINS)[0] if continuous and len(train) else values  # (N,)
        rows[name] = {"lens": score_one(z_star, classes, train, test, seed),
                      "base": score_one(base, classes, train, test, seed),
                      "n_train": len(train), "n_test": len(test), "binned": continuous}
    return {"attributes": rows, "truth": "oracle ground truth" if oracle else "labels split train/test",
            "binning": BINNING, "seed": seed}
