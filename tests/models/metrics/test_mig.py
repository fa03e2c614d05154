"""MIG (dlib): disentanglement_lib mig_test.py cases, plus agreement with an independent implementation."""

import numpy as np
import pytest

from models.metrics import mig_dlib


def identity_data(n: int, seed: int = 0) -> np.ndarray:
    """dlib dummy_data.IdentityObservationsData: 10 factors with 10 values each, uniform; (n, 10) ints."""
    return np.random.default_rng(seed).integers(0, 10, size=(n, 10))


def reference_mig(codes: np.ndarray, factors: np.ndarray, n_bins: int = 20) -> float:
    """MIG from the published definition, with numpy counts only (no sklearn, no factorscope helpers)."""

    def labels(column: np.ndarray) -> np.ndarray:
        return np.unique(column, return_inverse=True)[1]

    def entropy(a: np.ndarray) -> float:
        p = np.bincount(labels(a)) / a.size
        return float(-np.sum(p * np.log(p)))

    def mutual_info(a: np.ndarray, b: np.ndarray) -> float:
        ia, ib = labels(a), labels(b)
        joint = np.zeros((ia.max() + 1, ib.max() + 1))
        np.add.at(joint, (ia, ib), 1.0)
        joint /= a.size
        outer = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)
        nz = joint > 0
        return float(np.sum(joint[nz] * np.log(joint[nz] / outer[nz])))

    binned = [np.digitize(c, np.histogram(c, bins=n_bins)[1][:-1]) for c in codes.T]
    gaps = []
    for y in factors.T:
        mi = sorted((mutual_info(b, y) for b in binned), reverse=True)
        gaps.append((mi[0] - mi[1]) / entropy(y))
    return float(np.mean(gaps))


def test_identity_codes_score_near_one() -> None:
    y = identity_data(3_000)
    codes = y + 0.01 * np.random.default_rng(1).standard_normal(y.shape)
    result = mig_dlib(codes, y)
    assert result.variant == "mig_dlib"
    assert 0.9 <= result.value <= 1.0


def test_zero_codes_score_zero() -> None:
    y = identity_data(3_000)
    assert 0.0 <= mig_dlib(np.zeros(y.shape), y).value <= 0.2


def test_duplicated_latent_space_scores_zero() -> None:
    y = identity_data(3_000)
    codes = y.astype(float)
    assert 0.0 <= mig_dlib(np.hstack([codes, codes]), y).value <= 0.1


def test_one_duplicated_latent_zeroes_only_its_factor() -> None:
    y = identity_data(3_000)
    result = mig_dlib(np.hstack([y, y[:, :1]]).astype(float), y)
    assert result.details["gap"][0] <= 0.01
    assert np.all(result.details["gap"][1:] >= 0.99)
    assert result.details["mutual_info"].shape == (11, 10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_independent_reimplementation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    factors = np.stack([rng.integers(0, s, size=800) for s in (3, 6, 40)], axis=1)
    codes = rng.standard_normal((800, 5))
    codes[:, 1] += 0.5 * factors[:, 1]  # some signal, so gaps are not all ~0
    codes[:, 3] = factors[:, 2] * 0.1 + 0.05 * rng.standard_normal(800)
    np.testing.assert_allclose(mig_dlib(codes, factors).value, reference_mig(codes, factors), atol=1e-9, rtol=0)


def test_needs_two_latents_and_varying_factors() -> None:
    y = identity_data(100)
    with pytest.raises(ValueError, match=r"codes: expected at least 2 latents, got shape \(100, 1\)"):
        mig_dlib(np.zeros((100, 1)), y)
    with pytest.raises(ValueError, match="factor 1 is constant"):
        mig_dlib(np.zeros((100, 2)), np.stack([y[:, 0], np.zeros(100, dtype=int)], axis=1))
    with pytest.raises(ValueError, match="expected the same number of rows"):
        mig_dlib(np.zeros((99, 2)), y)
