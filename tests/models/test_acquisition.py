"""Acquisition functions (SCIENCE.md section 7): known answers for BALD, max entropy, batches, continuous."""

import math

import numpy as np
import pytest
import torch

from models.acquisition import (
    bald,
    choose_batch,
    gaussian_bald,
    gaussian_max_entropy,
    max_entropy,
    random_scores,
    top_n,
)


def brute_force_bald(probs: np.ndarray) -> np.ndarray:
    """The definition with explicit loops over candidates, samples and non-zero classes."""

    def entropy(p: np.ndarray) -> float:
        return -sum(float(q) * math.log(q) for q in p if q > 0)

    m, n, _ = probs.shape
    return np.array(
        [entropy(probs[:, j].mean(axis=0)) - sum(entropy(probs[i, j]) for i in range(m)) / m for j in range(n)]
    )


def test_bald_is_zero_when_the_samples_agree() -> None:
    p = np.random.default_rng(0).dirichlet(np.ones(4), size=6)  # (6 candidates, 4 classes)
    probs = np.broadcast_to(p, (5, 6, 4))
    np.testing.assert_allclose(bald(probs), 0.0, atol=1e-12)


def test_bald_of_two_confident_disagreeing_samples_is_log_2() -> None:
    probs = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])  # M = 2 samples, 1 candidate, balanced over the samples
    np.testing.assert_allclose(bald(probs), [math.log(2)], rtol=1e-15)
    np.testing.assert_allclose(max_entropy(probs), [math.log(2)], rtol=1e-15)


@pytest.mark.parametrize("classes", [2, 3, 10])
def test_max_entropy_of_a_uniform_predictive_is_log_c(classes: int) -> None:
    probs = np.full((3, 4, classes), 1.0 / classes)
    np.testing.assert_allclose(max_entropy(probs), math.log(classes), rtol=1e-12)
    np.testing.assert_allclose(bald(probs), 0.0, atol=1e-12)


def test_zero_probabilities_are_safe_and_exact() -> None:
    probs = np.array([[[1.0, 0.0, 0.0]], [[0.0, 0.5, 0.5]]])  # predictive (1/2, 1/4, 1/4)
    np.testing.assert_allclose(max_entropy(probs), [1.5 * math.log(2)], rtol=1e-15)
    np.testing.assert_allclose(bald(probs), [math.log(2)], rtol=1e-15)  # 1.5 log 2 - (0 + log 2) / 2


def test_bald_matches_the_definition_and_is_bounded() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(0.3 * np.ones(5), size=(7, 20))  # (M=7, N=20, C=5), many near-zero entries
    probs[0, :3] = np.eye(5)[:3]  # exact zeros too
    scores = bald(probs)
    np.testing.assert_allclose(scores, brute_force_bald(probs), atol=1e-12)
    assert np.all(scores >= 0) and np.all(scores <= max_entropy(probs) + 1e-12)
    assert np.all(max_entropy(probs) <= math.log(5) + 1e-12)


def test_torch_tensors_are_accepted() -> None:
    probs = np.random.default_rng(2).dirichlet(np.ones(3), size=(4, 5))
    np.testing.assert_allclose(bald(torch.from_numpy(probs)), bald(probs), rtol=1e-15)
    np.testing.assert_allclose(max_entropy(torch.from_numpy(probs).float()), max_entropy(probs), rtol=1e-6)


@pytest.mark.parametrize(
    ("probs", "message"),
    [
        (np.full((4, 2), 0.5), r"probs: expected a 3-D array, got shape \(4, 2\)"),
        (np.ones((2, 3, 1)), r"C >= 2 classes\), got \(2, 3, 1\)"),
        (np.array([[[1.5, -0.5]]]), r"probabilities in \[0, 1\], probs\[0, 0, 0\] = 1.5"),
        (np.array([[[0.5, 0.5]], [[0.5, 0.4]]]), r"to sum to 1 \(within 1e-05\), probs\[1, 0, :\] sums to 0.9"),
        (np.array([[[np.nan, 1.0]]]), "finite values"),
    ],
)
def test_bad_probabilities_are_named(probs: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bald(probs)
    with pytest.raises(ValueError, match=message):
        max_entropy(probs)


def test_random_scores_are_uniform_and_seeded() -> None:
    scores = random_scores(10_000, 3)
    assert scores.shape == (10_000,) and np.all((scores >= 0) & (scores < 1))
    assert abs(scores.mean() - 0.5) < 0.02
    np.testing.assert_array_equal(scores, random_scores(10_000, np.random.default_rng(3)))
    with pytest.raises(ValueError, match="n: expected a positive integer number of candidates, got 0"):
        random_scores(0, 3)


def test_a_batch_never_repeats_a_candidate() -> None:
    rng = np.random.default_rng(4)
    codes = rng.standard_normal((30, 3))
    for scores in (rng.random(30), np.zeros(30), np.ones(30)):
        for n in (1, 7, 30):
            batch = choose_batch(scores, n, codes)
            assert batch.shape == (n,) and len(set(batch.tolist())) == n
    duplicates = np.zeros((30, 3))  # every candidate at the same point: all penalised to 0 after one pick
    assert sorted(choose_batch(rng.random(30), 30, duplicates).tolist()) == list(range(30))


def test_near_duplicate_top_candidates_are_spread_out() -> None:
    scores = np.array([1.0, 0.99, 0.98, 0.9, 0.5, 0.1])
    codes = np.array([[0.0, 0.0], [1e-3, 0.0], [0.0, 1e-3], [3.0, 0.0], [0.0, 3.0], [-3.0, 0.0]])
    assert top_n(scores, 3).tolist() == [0, 1, 2]  # the seed's greedy batch: three near-duplicates
    assert choose_batch(scores, 3, codes).tolist() == [0, 3, 4]
    assert choose_batch(scores, 3, codes, length_scale=1e-4).tolist() == [0, 1, 2]  # a tiny radius: top-n


def test_probs_alone_spread_over_candidates_the_samples_predict_alike() -> None:
    disagree = [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]  # BALD log 2
    other = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]  # also log 2, a different pattern over samples
    weaker = [[0.9, 0.1], [0.1, 0.9], [0.9, 0.1], [0.1, 0.9]]
    probs = np.array([disagree, disagree, weaker, other]).transpose(1, 0, 2)  # (M=4, N=4, C=2)
    assert top_n(bald(probs), 2).tolist() == [0, 1]
    assert choose_batch(probs, 2).tolist() == [0, 3]


def test_batch_inputs_are_checked() -> None:
    scores = np.array([0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match=r"codes: expected codes \(N, D\) to spread a batch"):
        choose_batch(scores, 2)
    with pytest.raises(ValueError, match="n: expected a batch size between 1 and the 3 candidates, got 4"):
        choose_batch(scores, 4, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"codes: expected 3 rows, one per candidate, got shape \(2, 2\)"):
        choose_batch(scores, 2, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="scores: expected scores >= 0, found minimum -0.3"):
        choose_batch(-scores, 2, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="length_scale: expected a positive distance, got 0.0"):
        choose_batch(scores, 2, np.zeros((3, 2)), length_scale=0.0)
    with pytest.raises(ValueError, match=r"expected scores \(N,\) or probs \(M, N, C\), got shape \(3, 1\)"):
        choose_batch(scores[:, None], 2)


def test_continuous_bald_known_answers() -> None:
    agree = gaussian_bald(np.full((4, 3), 2.0), np.full((4, 3), 0.5))
    np.testing.assert_allclose(agree, 0.0, atol=1e-15)
    a, s2 = 1.5, 0.25  # means +-a, variance s2: 0.5 log(1 + a^2 / s2)
    spread = gaussian_bald(np.array([[a], [-a]]), np.full((2, 1), s2))
    np.testing.assert_allclose(spread, [0.5 * math.log(1 + a * a / s2)], rtol=1e-14)
    scale = gaussian_bald(np.zeros((2, 1)), np.array([[1.0], [4.0]]))  # equal means: 0.5 (log 2.5 - log 2)
    np.testing.assert_allclose(scale, [0.5 * math.log(2.5 / 2.0)], rtol=1e-14)
    np.testing.assert_allclose(gaussian_bald(np.array([[7.0]]), np.array([[3.0]])), [0.0], atol=1e-15)  # M = 1
    np.testing.assert_allclose(
        gaussian_max_entropy(np.zeros((1, 1)), np.full((1, 1), s2)), [0.5 * math.log(2 * math.pi * math.e * s2)]
    )


def test_continuous_bald_bounds_the_mixtures_exact_information() -> None:
    """The moment-matched score is an upper bound on the exact MI of the mixture, computed on a fine grid."""
    means, variances = np.array([-1.0, 1.0]), np.array([1.0, 1.0])
    grid = np.linspace(-12, 12, 200_001)
    mean, var = means[:, None], variances[:, None]
    density = np.mean(np.exp(-0.5 * (grid - mean) ** 2 / var) / np.sqrt(2 * math.pi * var), axis=0)  # (G,)
    mixture_entropy = -np.trapezoid(density * np.log(density), grid)
    exact = mixture_entropy - 0.5 * math.log(2 * math.pi * math.e)
    approx = gaussian_bald(means[:, None], variances[:, None])[0]
    assert exact < approx < exact + 0.05 and approx == pytest.approx(0.5 * math.log(2))


def test_bad_moments_are_named() -> None:
    with pytest.raises(ValueError, match="variances: expected every variance > 0, found minimum 0.0"):
        gaussian_bald(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"means and variances: expected equal shapes, got \(2, 2\) and \(2, 3\)"):
        gaussian_bald(np.zeros((2, 2)), np.ones((2, 3)))
