"""MIG (dlib)'s one-pass contingency tables: the same MI and entropies as sklearn's per-pair mutual_info_score."""

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from models.metrics.mig import contingency_entropy, contingency_mutual_info, dense_labels


def random_labels(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """codes (n, 5): binned-like, negative, wide-range (sorted path), constant, sparse; factors (n, 3)."""
    codes = np.stack(
        [
            rng.integers(1, 21, size=n),
            rng.integers(-7, 3, size=n),
            rng.integers(0, 4, size=n) * 1_000_003 - 5,
            np.full(n, 4),
            rng.choice([0, 9, 90], size=n),
        ],
        axis=1,
    )
    factors = np.stack([rng.integers(0, s, size=n) for s in (2, 7, 40)], axis=1)
    return codes, factors


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mutual_info_matches_sklearn_per_pair(seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes, factors = random_labels(rng, int(rng.integers(50, 5_000)))
    codes[:, 0] = np.where(rng.random(codes.shape[0]) < 0.6, factors[:, 1] + 1, codes[:, 0])  # some signal
    expected = np.array(
        [[mutual_info_score(factors[:, f], codes[:, k]) for f in range(factors.shape[1])] for k in range(5)]
    )
    np.testing.assert_allclose(contingency_mutual_info(codes, factors), expected, atol=1e-12, rtol=0)
    assert expected[0, 1] > 0.1 and np.all(expected[3] == 0.0)  # the signal is seen; a constant code has 0


@pytest.mark.parametrize("seed", [0, 1])
def test_entropy_matches_sklearn(seed: int) -> None:
    _, factors = random_labels(np.random.default_rng(seed), 3_000)
    factors = np.hstack([factors, np.zeros((3_000, 1), dtype=np.int64)])  # a constant factor: entropy 0
    expected = [mutual_info_score(factors[:, f], factors[:, f]) for f in range(factors.shape[1])]
    np.testing.assert_allclose(contingency_entropy(factors), expected, atol=1e-12, rtol=0)
    np.testing.assert_allclose(contingency_entropy(np.array([[0], [1], [2], [3]]))[0], np.log(4), rtol=1e-15)


def test_dense_labels_are_sorted_ranks_on_both_paths() -> None:
    codes, _ = random_labels(np.random.default_rng(5), 500)
    labels, n_values = dense_labels(codes)
    for d in range(codes.shape[1]):
        values, inverse = np.unique(codes[:, d], return_inverse=True)
        np.testing.assert_array_equal(labels[:, d], inverse)
        assert n_values[d] == values.size
