"""MIG (Chen et al. 2018): identity-like codes ~1, uninformative codes ~0, a duplicated latent ~0 for its factor."""

import numpy as np
import pytest

from models.metrics import mig_chen

SIZES = np.array([4, 5, 6])


def grid_factors(n: int, seed: int = 0) -> np.ndarray:
    """(n, 3) factor values drawn uniformly, factor f in [0, SIZES[f])."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, s, size=n) for s in SIZES], axis=1)


def identity_codes(factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mu = factor value (clusters 1 apart), sigma = 0.05: each latent encodes exactly one factor."""
    return factors.astype(float), np.full(factors.shape, 2 * np.log(0.05))


def test_identity_codes_score_near_one() -> None:
    y = grid_factors(3_000)
    result = mig_chen(*identity_codes(y), y, SIZES)
    assert result.variant == "mig_chen"
    assert result.value > 0.9
    np.testing.assert_allclose(np.diag(result.details["mutual_info"]), np.log(SIZES), rtol=0.05)


def test_constant_and_independent_codes_score_near_zero() -> None:
    y = grid_factors(3_000)
    rng = np.random.default_rng(1)
    constant = mig_chen(np.zeros((3_000, 3)), np.zeros((3_000, 3)), y, SIZES)
    independent = mig_chen(rng.standard_normal((3_000, 3)), np.zeros((3_000, 3)), y, SIZES)
    assert 0.0 <= constant.value < 0.05
    assert 0.0 <= independent.value < 0.05


def test_duplicated_latent_has_no_gap_for_its_factor() -> None:
    y = grid_factors(3_000)
    mu, logvar = identity_codes(y)
    result = mig_chen(np.hstack([mu, mu[:, :1]]), np.hstack([logvar, logvar[:, :1]]), y, SIZES)
    assert result.details["gap"][0] < 0.05
    assert np.all(result.details["gap"][1:] > 0.9)


def test_seeded_progress_reaches_one_and_results_repeat() -> None:
    y = grid_factors(1_500)
    mu, logvar = identity_codes(y)
    seen: list[float] = []
    first = mig_chen(mu, logvar, y, SIZES, n_samples=200, rng=3, tile_elements=3_000, on_progress=seen.append)
    second = mig_chen(mu, logvar, y, SIZES, n_samples=200, rng=3)
    assert first.value == pytest.approx(second.value, rel=1e-12)  # tiling changes only the rounding
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0) and len(seen) > 10


def test_rejects_bad_factor_sizes() -> None:
    y = grid_factors(50)
    mu, logvar = identity_codes(y)
    with pytest.raises(ValueError, match=r"factor_sizes: expected shape \(3,\)"):
        mig_chen(mu, logvar, y, [4, 5])
    with pytest.raises(ValueError, match=r"expected values in \[0, factor_sizes\[f\]\)"):
        mig_chen(mu, logvar, y, [2, 5, 6])
    with pytest.raises(ValueError, match="mu: expected at least 2 latents"):
        mig_chen(mu[:, :1], logvar[:, :1], y, SIZES)
