"""Disentanglement, Completeness, Informativeness (Eastwood & Williams 2018), as
google-research/disentanglement_lib `evaluation/metrics/dci.py` (gradient-boosted-tree importances)."""

from __future__ import annotations

import numpy as np
import scipy.stats
from sklearn.ensemble import GradientBoostingClassifier

from ..estimators.arrays import ArrayLike
from .inputs import require_varying, with_test_set
from .registry import register_metric
from .result import MetricResult


def importance_gbt(
    codes: np.ndarray,
    factors: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    n_estimators: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One GradientBoostingClassifier per factor: importances (K, F), train accuracy (F,), test accuracy (F,)."""
    importance = np.zeros((codes.shape[1], factors.shape[1]))
    train_acc, test_acc = np.zeros(factors.shape[1]), np.zeros(factors.shape[1])
    for f in range(factors.shape[1]):
        model = GradientBoostingClassifier(n_estimators=n_estimators, random_state=seed)
        model.fit(codes, factors[:, f])
        importance[:, f] = np.abs(model.feature_importances_)
        train_acc[f] = np.mean(model.predict(codes) == factors[:, f])
        test_acc[f] = np.mean(model.predict(codes_test) == factors_test[:, f])
    return importance, train_acc, test_acc


def disentanglement_per_code(importance: np.ndarray) -> np.ndarray:
    """1 - entropy (base F) of each latent's importance over factors, shape (K,); importance: (K, F)."""
    return 1.0 - scipy.stats.entropy(importance.T + 1e-11, base=importance.shape[1])


def completeness_per_factor(importance: np.ndarray) -> np.ndarray:
    """1 - entropy (base K) of each factor's importance over latents, shape (F,); importance: (K, F)."""
    return 1.0 - scipy.stats.entropy(importance + 1e-11, base=importance.shape[0])


def dci_disentanglement(importance: np.ndarray) -> float:
    """Per-latent disentanglement weighted by each latent's share of total importance (dlib)."""
    weights = np.ones_like(importance) if importance.sum() == 0.0 else importance
    return float(np.sum(disentanglement_per_code(importance) * weights.sum(axis=1) / weights.sum()))


def dci_completeness(importance: np.ndarray) -> float:
    """Per-factor completeness weighted by each factor's share of total importance (dlib)."""
    weights = np.ones_like(importance) if importance.sum() == 0.0 else importance
    return float(np.sum(completeness_per_factor(importance) * weights.sum(axis=0) / weights.sum()))


@register_metric("dci")
def dci(
    codes: ArrayLike,
    factors: ArrayLike,
    *,
    n_estimators: int = 100,
    codes_test: ArrayLike | None = None,
    factors_test: ArrayLike | None = None,
    test_fraction: float = 1 / 3,
    seed: int = 0,
) -> MetricResult:
    """DCI from gradient-boosted-tree importances; value = disentanglement.

    codes: (N, K); factors: (N, F) integer factors. n_estimators=100 is sklearn's (and dlib's) default;
    lower it for speed. Without explicit test arrays a seeded split keeps `test_fraction` for testing.
    scores: disentanglement, completeness, informativeness (= mean test accuracy), informativeness_train.
    details: "importance" (K, F), "disentanglement_per_code" (K,), "completeness_per_factor" (F,),
    "test_accuracy" (F,).
    """
    train_codes, train_factors, test_codes, test_factors = with_test_set(
        codes, factors, codes_test, factors_test, test_fraction, seed
    )
    if train_codes.shape[1] < 2 or train_factors.shape[1] < 2:
        raise ValueError(
            f"codes, factors: expected at least 2 latents and 2 factors (entropies in base K and F), "
            f"got {train_codes.shape} and {train_factors.shape}"
        )
    require_varying(train_factors, "factors (train split)")
    importance, train_acc, test_acc = importance_gbt(
        train_codes, train_factors, test_codes, test_factors, n_estimators, seed
    )
    d, c = dci_disentanglement(importance), dci_completeness(importance)
    return MetricResult(
        variant="dci_dlib",
        value=d,
        scores={
            "disentanglement": d,
            "completeness": c,
            "informativeness": float(np.mean(test_acc)),
            "informativeness_train": float(np.mean(train_acc)),
        },
        details={
            "importance": importance,
            "disentanglement_per_code": disentanglement_per_code(importance),
            "completeness_per_factor": completeness_per_factor(importance),
            "test_accuracy": test_acc,
        },
    )
