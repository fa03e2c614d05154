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


def test_subsampled_entropies_match_the_full_estimate_on_factor_sorted_rows() -> None:
    # The n_samples subsample must be spread over the rows: dSprites is stored in factor order, so the
    # first n_samples rows would all share small f0 and bias H(z) (first-300 rows: MIG 0.47 vs 0.56).
    cells = np.stack(np.meshgrid(np.arange(10), np.arange(10), indexing="ij"), -1).reshape(-1, 2)
    y = np.repeat(cells, 20, axis=0)  # (2000, 2), sorted by factor
    mu = np.stack([y[:, 0] ** 1.5, 0.3 * y[:, 1]], axis=1).astype(float)
    logvar = np.full(mu.shape, 2 * np.log(0.7))
    sub = mig_chen(mu, logvar, y, [10, 10], n_samples=300)
    full = mig_chen(mu, logvar, y, [10, 10], n_samples=2000)
    assert abs(sub.value - full.value) < 0.03, (sub.value, full.value)
    np.testing.assert_allclose(sub.details["marginal_entropy"], full.details["marginal_entropy"], atol=0.15)


def test_conditional_entropy_weights_each_factor_value_by_its_probability() -> None:
    # H(z | v) = sum_v p(v) H(z | v); with a 90/10 factor the uniform 1/|V| weighting is far off.
    # Value 0 (90%): q = N(0, 1), so H = 0.5 log(2 pi e); value 1 (10%): q = N(0, 0.1^2).
    y = np.repeat([0, 1], [1_800, 200])[:, None]
    sd = np.where(y[:, 0] == 0, 1.0, 0.1)
    logvar = np.stack([2 * np.log(sd), np.zeros(2_000)], axis=1)
    result = mig_chen(np.zeros((2_000, 2)), logvar, y, [2])
    h_group = 0.5 * np.log(2 * np.pi * np.e * np.array([1.0, 0.01]))
    expected = 0.9 * h_group[0] + 0.1 * h_group[1]  # 1.19; uniform weights would give 0.27
    assert result.details["conditional_entropy"][0, 0] == pytest.approx(expected, abs=0.05)


def test_normalised_mutual_info_is_divided_by_the_factor_entropy() -> None:
    # On a full balanced grid H(v_f) = log |V_f| (Chen's normaliser): the detail must be MI / H(v_f).
    y = np.stack(np.meshgrid(*[np.arange(s) for s in SIZES], indexing="ij"), -1).reshape(-1, 3)
    y = np.repeat(y, 10, axis=0)
    result = mig_chen(*identity_codes(y), y, SIZES)
    h_factor = np.array([-np.sum(p * np.log(p)) for p in (np.bincount(c) / len(c) for c in y.T)])
    np.testing.assert_allclose(result.details["normalised_mutual_info"], result.details["mutual_info"] / h_factor)
