"""Separated Attribute Predictability (Kumar et al. 2018), as google-research/disentanglement_lib
`evaluation/metrics/sap_score.py` (`compute_score_matrix`, `compute_avg_diff_top_two`)."""

from __future__ import annotations

import numpy as np
from sklearn.svm import LinearSVC

from ..estimators.arrays import ArrayLike
from .inputs import require_varying, with_test_set
from .registry import register_metric
from .result import MetricResult


def _discrete_score(code: np.ndarray, factor: np.ndarray, code_test: np.ndarray, factor_test: np.ndarray) -> float:
    """Test accuracy of LinearSVC(C=0.01, class_weight="balanced") predicting a factor from one latent (N,)."""
    classifier = LinearSVC(C=0.01, class_weight="balanced")
    classifier.fit(code[:, None], factor)
    return float(np.mean(classifier.predict(code_test[:, None]) == factor_test))


def _continuous_score(code: np.ndarray, factor: np.ndarray) -> float:
    """Squared correlation cov(z, y)^2 / (var z * var y) (dlib: 0 when var z <= 1e-12); code, factor: (N,)."""
    cov = np.cov(code, factor, ddof=1)  # (2, 2)
    return float(cov[0, 1] ** 2 / (cov[0, 0] * cov[1, 1])) if cov[0, 0] > 1e-12 else 0.0


def sap_score_matrix(
    codes: np.ndarray, factors: np.ndarray, codes_test: np.ndarray, factors_test: np.ndarray, continuous: bool
) -> np.ndarray:
    """Predictability of each factor from each single latent, shape (K, F); inputs (N, K) / (N, F)."""
    scores = np.zeros((codes.shape[1], factors.shape[1]))
    for k in range(codes.shape[1]):
        for f in range(factors.shape[1]):
            if continuous:
                scores[k, f] = _continuous_score(codes[:, k], factors[:, f])
            else:
                scores[k, f] = _discrete_score(codes[:, k], factors[:, f], codes_test[:, k], factors_test[:, f])
    return scores


@register_metric("sap")
def sap(
    codes: ArrayLike,
    factors: ArrayLike,
    *,
    continuous_factors: bool = False,
    codes_test: ArrayLike | None = None,
    factors_test: ArrayLike | None = None,
    test_fraction: float = 1 / 3,
    seed: int = 0,
) -> MetricResult:
    """SAP: mean over factors of the gap between the two most predictive single latents.

    codes: (N, K), K >= 2; factors: (N, F) integer factors. dlib's default (continuous_factors=False)
    scores test accuracy of a per-(latent, factor) LinearSVC; continuous_factors=True scores the squared
    correlation on the train set (the variant dlib's own tests use). Without explicit test arrays a
    seeded split keeps `test_fraction` of the rows for testing (dlib: 10,000 train / 5,000 test).
    details: "score_matrix" (K, F), "gap" (F,).
    """
    train_codes, train_factors, test_codes, test_factors = with_test_set(
        codes, factors, codes_test, factors_test, test_fraction, seed
    )
    if train_codes.shape[1] < 2:
        raise ValueError(f"codes: expected at least 2 latents, got shape {train_codes.shape}")
    require_varying(train_factors, "factors (train split)")
    scores = sap_score_matrix(train_codes, train_factors, test_codes, test_factors, continuous_factors)
    ordered = np.sort(scores, axis=0)
    gap = ordered[-1] - ordered[-2]  # (F,)
    variant = "sap_dlib_continuous" if continuous_factors else "sap_dlib_discrete"
    return MetricResult(
        variant=variant,
        value=float(np.mean(gap)),
        scores={"SAP_score": float(np.mean(gap))},
        details={"score_matrix": scores, "gap": gap},
    )
