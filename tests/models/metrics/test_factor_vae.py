"""FactorVAE score: disentanglement_lib factor_vae_test.py cases, with the batch sampling done here."""

from collections.abc import Callable

import numpy as np
import pytest

from models.metrics import factor_vae_score

Representation = Callable[[np.ndarray], np.ndarray]


def sample_votes(
    represent: Representation, n_votes: int, batch_size: int = 5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As dlib on IdentityObservationsData (10 factors x 10 values): global codes from 2,500 random
    points; per vote a batch of `batch_size` points sharing one random factor's value."""
    rng = np.random.default_rng(seed)
    global_codes = represent(rng.integers(0, 10, size=(2_500, 10)))
    fixed = rng.integers(0, 10, size=n_votes)  # (V,)
    factors = rng.integers(0, 10, size=(n_votes, batch_size, 10))  # (V, B, F)
    factors[np.arange(n_votes), :, fixed] = factors[np.arange(n_votes), :1, fixed]
    return global_codes, represent(factors.reshape(-1, 10)).reshape(n_votes, batch_size, -1), fixed


def score(represent: Representation) -> dict[str, float]:
    # dlib: 3,000 training votes then 2,000 evaluation votes.
    result = factor_vae_score(*sample_votes(represent, 5_000), n_factors=10, train_fraction=0.6)
    assert result.variant == "factor_vae_dlib"
    return dict(result.scores)


def test_identity_codes_score_near_one() -> None:
    scores = score(lambda f: f.astype(float))
    assert 0.9 <= scores["train_accuracy"] <= 1.0 and 0.9 <= scores["eval_accuracy"] <= 1.0


def test_latents_on_different_scales_are_normalised_by_their_global_spread() -> None:
    # Noisy identity codes on scales 0.1 .. 100: without the division by each latent's global variance, the
    # small-scale latents would win the votes of factors they do not code (accuracy about 0.3).
    rng = np.random.default_rng(6)
    assert score(lambda f: (f + 0.5 * rng.standard_normal(f.shape)) * np.logspace(-1, 2, 10))["eval_accuracy"] >= 0.9


def test_zero_codes_score_zero() -> None:
    scores = score(lambda f: np.zeros(f.shape))
    assert scores == {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0.0}


def test_noise_codes_score_near_chance() -> None:
    rng = np.random.default_rng(5)
    assert score(lambda f: rng.standard_normal(f.shape))["eval_accuracy"] <= 0.2


def test_duplicated_latent_space_still_scores_near_one() -> None:
    assert score(lambda f: np.hstack([f, f]).astype(float))["eval_accuracy"] >= 0.9


def test_collapsed_latents_are_pruned_and_never_voted() -> None:
    # A latent with std 0.01 < 0.05 would otherwise win every vote (its batch variance is tiny).
    collapse = lambda f: np.hstack([f, 0.01 * np.random.default_rng(0).standard_normal((len(f), 1))])  # noqa: E731
    result = factor_vae_score(*sample_votes(collapse, 600), n_factors=10)
    assert not result.details["active"][10] and result.details["train_votes"][:, 10].sum() == 0
    assert result.scores["num_active_dims"] == 10.0 and result.value >= 0.9


def test_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match=r"vote_codes: expected shape \(V, B >= 2, K=3\)"):
        factor_vae_score(np.zeros((10, 3)), np.zeros((4, 5, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="fixed_factors: expected 4 non-negative indices"):
        factor_vae_score(np.zeros((10, 3)), np.zeros((4, 5, 3)), np.zeros(3, dtype=int))
