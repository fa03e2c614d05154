"""Interpretability score of one attribute (SCIENCE.md section 6, "Interpretability metric"; seed 001, Sec. 4).

(i) On the training items, pick the latent dim with the largest plug-in MI with the attribute (each dim
binned into 20 equal-width bins, as MIG (dlib)); (ii) fit a linear SVM with Platt scaling from that dim
alone; (iii) on the held-out items, score log p(true class | dim). The value is the geometric-mean held-out
probability of the true class, exp(mean log-prob), in (0, 1]. Continuous attributes are first turned into
classes by `quantile_classes`.
"""

from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from ..estimators.arrays import ArrayLike, to_float_array, to_label_array
from ..estimators.discrete import histogram_discretize
from .mig import contingency_mutual_info
from .result import MetricResult

PLATT_FOLDS = 5  # CalibratedClassifierCV's default; fewer when a class has fewer training items
PROB_FLOOR = float(np.finfo(np.float64).eps)  # one confidently wrong item costs at most -log(eps) = 36 nats


def check_indices(index: ArrayLike, name: str, n: int) -> np.ndarray:
    """An index array into N items as int64: 1-D, non-empty, every entry in 0..N-1, else ValueError."""
    arr = to_label_array(index, name, ndim=1)
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"{name}: expected item indices in 0..{n - 1}, got {arr.min()}..{arr.max()}")
    return arr


def split_indices(train: ArrayLike, test: ArrayLike, n: int) -> tuple[np.ndarray, np.ndarray]:
    """train and test as checked index arrays into N items that share no item."""
    train_idx, test_idx = check_indices(train, "train", n), check_indices(test, "test", n)
    shared = np.intersect1d(train_idx, test_idx)
    if shared.size:
        raise ValueError(f"train and test: expected disjoint items, {shared.size} shared (first: {shared[0]})")
    return train_idx, test_idx


def check_classes(values_train: np.ndarray, values_test: np.ndarray) -> np.ndarray:
    """The classes (C,) of the training items: at least 2, covering every test class, else ValueError."""
    classes = np.unique(values_train)
    if classes.size < 2:
        raise ValueError(f"values: expected at least 2 classes among the training items, got {classes.tolist()}")
    unseen = np.setdiff1d(values_test, classes)
    if unseen.size:
        raise ValueError(f"values: test class {unseen[0]} has no training item (training classes: {classes.tolist()})")
    return classes


def most_informative_dim(codes: np.ndarray, values: np.ndarray, n_bins: int) -> tuple[int, np.ndarray]:
    """(argmax_k I(code_k; value), the MI (K,) in nats): plug-in MI on codes (N, K) binned as MIG (dlib)."""
    mutual_info = contingency_mutual_info(histogram_discretize(codes, n_bins), values[:, None])[:, 0]
    return int(np.argmax(mutual_info)), mutual_info


def platt_svm_probabilities(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, seed: int) -> np.ndarray:
    """Test probabilities (N_test, C), columns in sorted class order, of a Platt-scaled linear SVM on one dim.

    x_*: (N,) single dim, standardised by the training mean and std; CalibratedClassifierCV(LinearSVC,
    method="sigmoid") over a stratified, unshuffled k-fold, k = min(5, smallest class count).
    """
    smallest = int(np.bincount(np.unique(y_train, return_inverse=True)[1]).min())
    if smallest < 2:
        raise ValueError("values: expected at least 2 training items per class (Platt scaling cross-validates)")
    centre, scale = x_train.mean(), x_train.std()
    scale = scale if scale > 0 else 1.0
    model = CalibratedClassifierCV(
        LinearSVC(random_state=seed),
        method="sigmoid",
        cv=StratifiedKFold(n_splits=min(PLATT_FOLDS, smallest)),
    )
    model.fit(((x_train - centre) / scale)[:, None], y_train)
    return model.predict_proba(((x_test - centre) / scale)[:, None])


def interpretability(
    codes: ArrayLike, values: ArrayLike, train: ArrayLike, test: ArrayLike, seed: int = 0, n_bins: int = 20
) -> MetricResult:
    """Seed 001's interpretability of one categorical attribute in a code; value in (0, 1].

    codes: (N, K) (z* of a lens, or a run's own latent means); values: (N,) class indices; train, test:
    disjoint item indices. Deterministic for a seed. scores: "geometric_mean_prob" (the value),
    "mean_log_prob" (nats), "accuracy" (argmax of the probabilities), "dim" (the chosen dim).
    details: "mutual_info" (K,) per-dim MI in nats on the training items, "classes" (C,).
    Probabilities are floored at PROB_FLOOR before the log.
    """
    codes_arr = to_float_array(codes, "codes")
    labels = to_label_array(values, "values", ndim=1)
    if labels.shape[0] != codes_arr.shape[0]:
        raise ValueError(f"codes and values: expected one value per row, got {codes_arr.shape} and {labels.shape}")
    train_idx, test_idx = split_indices(train, test, codes_arr.shape[0])
    classes = check_classes(labels[train_idx], labels[test_idx])
    dim, mutual_info = most_informative_dim(codes_arr[train_idx], labels[train_idx], n_bins)
    probs = platt_svm_probabilities(codes_arr[train_idx, dim], labels[train_idx], codes_arr[test_idx, dim], seed)
    truth = np.searchsorted(classes, labels[test_idx])  # (N_test,) column of the true class
    log_prob = np.log(np.maximum(probs[np.arange(truth.size), truth], PROB_FLOOR))
    accuracy = float(np.mean(np.argmax(probs, axis=1) == truth))
    value = float(np.exp(log_prob.mean()))
    return MetricResult(
        variant="interpretability_svm_platt",
        value=value,
        scores={
            "geometric_mean_prob": value,
            "mean_log_prob": float(log_prob.mean()),
            "accuracy": accuracy,
            "dim": float(dim),
        },
        details={"mutual_info": mutual_info, "classes": classes},
    )


def quantile_classes(values: ArrayLike, train: ArrayLike, n_bins: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """A continuous attribute (N,) as class indices (N,) by quantile bins of its training items; also the edges.

    Edges are the 1/n_bins, ..., (n_bins-1)/n_bins quantiles of values[train] taken as training values
    (numpy's method="higher"), repeated ones and any at the training minimum dropped, so every class holds
    a training item and ties can leave fewer than n_bins classes. Class c holds edges[c-1] <= v < edges[c];
    values outside the training range fall in the first or last class. Returns (classes (N,) int64 in
    0..B-1, edges (B-1,)).
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 2:
        raise ValueError(f"n_bins: expected an integer >= 2, got {n_bins!r}")
    arr = to_float_array(values, "values", ndim=1)
    seen = arr[check_indices(train, "train", arr.size)]
    edges = np.unique(np.quantile(seen, np.linspace(0.0, 1.0, n_bins + 1)[1:-1], method="higher"))
    edges = edges[edges > seen.min()]
    return np.searchsorted(edges, arr, side="right").astype(np.int64), edges
