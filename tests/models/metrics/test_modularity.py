"""Modularity: disentanglement_lib modularity_explicitness_test.py cases."""

import numpy as np
import pytest

from models.metrics import modularity, modularity_from_mi

DIAG = np.diag(5.0 * np.ones(5))


@pytest.mark.parametrize(
    ("mutual_info", "expected"),
    [
        (DIAG, 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 2.0 / 3.0),  # an empty code scores 0
        (np.zeros((10, 10)), 0.0),
        (np.vstack([DIAG, DIAG]), 1.0),  # redundant codes
        (DIAG[:2, :], 1.0),  # missed factors
        (np.hstack([DIAG, DIAG]), 1.0 - 1.0 / 9.0),  # one code, two factors
    ],
)
def test_mutual_info_known_answers(mutual_info: np.ndarray, expected: float) -> None:
    np.testing.assert_allclose(modularity_from_mi(mutual_info), expected)


def identity_data(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 10, size=(n, 10))


def test_identity_codes_are_modular() -> None:
    y = identity_data(3_000)
    result = modularity(y.astype(float), y)
    assert result.variant == "modularity_dlib"
    assert 0.9 <= result.value <= 1.0


def test_permuted_codes_are_not_modular() -> None:
    y = identity_data(20_000)  # dlib uses 20,000 points here: plug-in MI bias must be small
    rng = np.random.default_rng(1)
    codes = np.array([rng.permutation(row) for row in y], dtype=float)
    assert 0.0 <= modularity(codes, y).value <= 0.2


def test_duplicated_latent_space_stays_modular() -> None:
    y = identity_data(3_000)
    assert 0.9 <= modularity(np.hstack([y, y]).astype(float), y).value <= 1.0


def test_needs_two_factors() -> None:
    with pytest.raises(ValueError, match="factors: expected at least 2 factors"):
        modularity(np.zeros((10, 3)), np.zeros((10, 1), dtype=int))
