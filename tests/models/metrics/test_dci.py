"""DCI: disentanglement_lib dci_test.py cases (importance-matrix units and identity / permuted / duplicated)."""

import numpy as np
import pytest

from models.metrics import dci, dci_completeness, dci_disentanglement

DIAG = np.diag(5.0 * np.ones(5))
ONE_OF_TWO = 1.0 - np.log(2) / np.log(10)


@pytest.mark.parametrize(
    ("importance", "disentanglement", "completeness"),
    [
        (DIAG, 1.0, 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 1.0, 1.0),  # empty code
        (np.zeros((10, 10)), 0.0, 0.0),
        (np.vstack([DIAG, DIAG]), 1.0, ONE_OF_TWO),  # redundant codes
        (DIAG[:2, :], 1.0, 1.0),  # missed factors
        (np.hstack([DIAG, DIAG]), ONE_OF_TWO, 1.0),  # one code, two factors
    ],
)
def test_importance_matrix_known_answers(importance: np.ndarray, disentanglement: float, completeness: float) -> None:
    np.testing.assert_allclose(dci_disentanglement(importance), disentanglement, atol=1e-7)
    np.testing.assert_allclose(dci_completeness(importance), completeness, atol=1e-7)


def identity_split(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """dlib IdentityObservationsData, 1,000 train + 1,000 test points; (2000, 10) ints."""
    return np.random.default_rng(seed).integers(0, 10, size=(2_000, 10)), np.arange(2_000) < 1_000


def run_dci(codes: np.ndarray, y: np.ndarray, train: np.ndarray) -> dict[str, float]:
    # dlib uses sklearn's default 100 trees; 10 keep the test quick and give the same verdicts.
    result = dci(codes[train], y[train], codes_test=codes[~train], factors_test=y[~train], n_estimators=10)
    assert result.variant == "dci_dlib"
    return dict(result.scores)


def test_identity_codes_are_disentangled_and_complete() -> None:
    y, train = identity_split()
    scores = run_dci(y.astype(float), y, train)
    assert 0.9 <= scores["disentanglement"] <= 1.0 and 0.9 <= scores["completeness"] <= 1.0
    assert scores["informativeness"] == 1.0


def test_permuted_codes_score_low() -> None:
    y, train = identity_split()
    rng = np.random.default_rng(1)
    codes = np.array([rng.permutation(row) for row in y], dtype=float)  # dlib's "bad" representation
    scores = run_dci(codes, y, train)
    assert 0.0 <= scores["disentanglement"] <= 0.2 and 0.0 <= scores["completeness"] <= 0.2


def test_duplicated_latent_space_halves_completeness() -> None:
    y, train = identity_split()
    scores = run_dci(np.hstack([y, y]).astype(float), y, train)
    assert 0.9 <= scores["disentanglement"] <= 1.0
    assert ONE_OF_TWO - 0.1 <= scores["completeness"] <= ONE_OF_TWO + 0.1


def test_needs_two_latents_and_two_factors() -> None:
    y, _ = identity_split()
    with pytest.raises(ValueError, match="expected at least 2 latents and 2 factors"):
        dci(y[:, :1].astype(float), y[:, :1], n_estimators=2)


def test_informativeness_is_the_accuracy_on_the_test_items() -> None:
    # Codes equal to the factors on the training items, shuffled against them on the test items.
    y, train = identity_split()
    shuffled = np.vstack([y[train], np.random.default_rng(2).permutation(y[~train])]).astype(float)
    result = dci(shuffled[train], y[train], codes_test=shuffled[~train], factors_test=y[~train], n_estimators=10)
    assert result.scores["informativeness"] == pytest.approx(np.mean(result.details["test_accuracy"]))
    assert result.scores["informativeness"] <= 0.2 and result.scores["informativeness_train"] == 1.0
