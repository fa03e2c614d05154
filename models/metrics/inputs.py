"""Checking and splitting the (codes, factors) arrays that the dlib-style metrics take."""

from __future__ import annotations

import numpy as np

from ..estimators.arrays import ArrayLike, check_rows, to_float_array, to_label_array


def codes_and_factors(codes: ArrayLike, factors: ArrayLike, min_latents: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """codes (N, K) float64 and factors (N, F) int64, with matching N and K >= `min_latents`."""
    codes_arr = to_float_array(codes, "codes")
    factors_arr = to_label_array(factors, "factors")
    check_rows(codes_arr, factors_arr, ("codes", "factors"))
    if codes_arr.shape[1] < min_latents:
        raise ValueError(f"codes: expected at least {min_latents} latents, got shape {codes_arr.shape}")
    return codes_arr, factors_arr


def require_varying(factors: np.ndarray, name: str = "factors") -> None:
    """Every factor column (N, F) takes at least two values."""
    for f in range(factors.shape[1]):
        if np.unique(factors[:, f]).size < 2:
            raise ValueError(f"{name}: expected every factor to take >= 2 values, factor {f} is constant")


def train_test_split(
    codes: np.ndarray, factors: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic random split of the N rows: (codes_train, factors_train, codes_test, factors_test).

    dlib samples train and test sets separately from the generator; a seeded permutation of one sample
    is the array-only equivalent (and safe for grid-ordered inputs, unlike a head/tail split).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction: expected a number in (0, 1), got {test_fraction}")
    n = codes.shape[0]
    n_test = round(n * test_fraction)
    if n_test < 1 or n_test > n - 1:
        raise ValueError(f"codes: {n} rows are too few to split with test_fraction={test_fraction}")
    order = np.random.default_rng(seed).permutation(n)
    train, test = order[n_test:], order[:n_test]
    return codes[train], factors[train], codes[test], factors[test]


def with_test_set(
    codes: ArrayLike,
    factors: ArrayLike,
    codes_test: ArrayLike | None,
    factors_test: ArrayLike | None,
    test_fraction: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Use the given test arrays when both are passed, else split (codes, factors) by `train_test_split`."""
    codes_arr, factors_arr = codes_and_factors(codes, factors)
    if (codes_test is None) != (factors_test is None):
        raise ValueError("codes_test and factors_test: expected both or neither")
    if codes_test is None or factors_test is None:
        return train_test_split(codes_arr, factors_arr, test_fraction, seed)
    codes_te, factors_te = codes_and_factors(codes_test, factors_test)
    if codes_te.shape[1] != codes_arr.shape[1] or factors_te.shape[1] != factors_arr.shape[1]:
        raise ValueError(
            f"test arrays: expected {codes_arr.shape[1]} latents and {factors_arr.shape[1]} factors, "
            f"got codes_test {codes_te.shape} and factors_test {factors_te.shape}"
        )
    return codes_arr, factors_arr, codes_te, factors_te
