"""SAP: disentanglement_lib sap_score_test.py cases (continuous variant) and the discrete default."""

import numpy as np
import pytest

from models.metrics import sap


def identity_data(n: int, seed: int = 0, n_values: int = 10) -> np.ndarray:
    """dlib dummy_data.IdentityObservationsData: 10 factors, uniform integer values; (n, 10)."""
    return np.random.default_rng(seed).integers(0, n_values, size=(n, 10))


def dlib_sap(codes: np.ndarray, factors: np.ndarray, **kwargs: object) -> float:
    """dlib tests draw 3,000 train and 3,000 test points; here as explicit test arrays."""
    return sap(codes[:3_000], factors[:3_000], codes_test=codes[3_000:], factors_test=factors[3_000:], **kwargs).value


def test_identity_continuous_scores_near_one() -> None:
    y = identity_data(6_000)
    assert 0.9 <= dlib_sap(y.astype(float), y, continuous_factors=True) <= 1.0


def test_zero_codes_continuous_score_zero() -> None:
    y = identity_data(6_000)
    assert 0.0 <= dlib_sap(np.zeros(y.shape), y, continuous_factors=True) <= 0.2


def test_duplicated_latent_space_continuous_scores_zero() -> None:
    y = identity_data(6_000)
    assert 0.0 <= dlib_sap(np.hstack([y, y]).astype(float), y, continuous_factors=True) <= 0.2


def test_discrete_identity_binary_factors_reaches_the_chance_gap() -> None:
    # A 1-D linear classifier separates a binary factor perfectly; the runner-up latent is at chance (0.5).
    y = identity_data(1_500, n_values=2)
    result = sap(y.astype(float), y)
    assert result.variant == "sap_dlib_discrete"
    assert np.all(np.diag(result.details["score_matrix"]) >= 0.99)
    assert 0.4 <= result.value <= 0.6


def test_discrete_uninformative_and_duplicated_codes_score_low() -> None:
    y = identity_data(1_500, n_values=2)
    noise = np.random.default_rng(1).standard_normal(y.shape)
    assert sap(noise, y).value <= 0.1
    assert sap(np.zeros(y.shape), y).value <= 0.1
    assert sap(np.hstack([y, y]).astype(float), y).value <= 0.1


def test_split_and_input_errors() -> None:
    y = identity_data(30)
    with pytest.raises(ValueError, match="codes_test and factors_test: expected both or neither"):
        sap(y.astype(float), y, codes_test=y.astype(float))
    with pytest.raises(ValueError, match="test_fraction: expected a number in"):
        sap(y.astype(float), y, test_fraction=1.5)
    with pytest.raises(ValueError, match="codes: expected at least 2 latents"):
        sap(y[:, :1].astype(float), y)


def test_discrete_scores_come_from_the_test_items() -> None:
    # Codes that match their factors on the training items but are shuffled against them on the test items:
    # the held-out accuracy is at chance, so the diagonal of the score matrix is too (train accuracy: 1.0).
    y, y_test = identity_data(1_000, n_values=2), identity_data(1_000, seed=1, n_values=2)
    shuffled = np.random.default_rng(2).permutation(y_test)
    result = sap(y.astype(float), y, codes_test=shuffled.astype(float), factors_test=y_test)
    assert np.all(np.abs(np.diag(result.details["score_matrix"]) - 0.5) <= 0.1) and result.value <= 0.1
