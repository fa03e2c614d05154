"""Interpretability score (SCIENCE.md section 6): known answers on a code whose dim is the attribute plus noise."""

import math

import numpy as np
import pytest
from scipy.special import log_expit
from scipy.stats import norm

from models.metrics import interpretability, quantile_classes

SIGMA = 0.5  # noise on the attribute's dim


def noisy_code(n: int, seed: int, dim: int = 0, classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """codes (n, 4): column `dim` = class + N(0, SIGMA^2), the others N(0, 1) noise; values (n,) uniform classes."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, classes, size=n)
    codes = rng.standard_normal((n, 4))
    codes[:, dim] = values + SIGMA * rng.standard_normal(n)
    return codes, values


def halves(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return order[: n // 2], order[n // 2 :]


def bayes_binary() -> tuple[float, float]:
    """Classes 0/1 equally likely, x | s ~ N(s, SIGMA^2): the Bayes accuracy Phi(0.5 / SIGMA) and the
    geometric-mean probability of the true class under the Bayes posterior p(1 | x) = sigmoid((x - 0.5) / SIGMA^2).
    """
    x = np.linspace(1 - 12 * SIGMA, 1 + 12 * SIGMA, 200_001)  # class 1; class 0 is its mirror image
    mean_log_prob = np.trapezoid(norm.pdf(x, 1.0, SIGMA) * log_expit((x - 0.5) / SIGMA**2), x)
    return float(norm.cdf(0.5 / SIGMA)), math.exp(mean_log_prob)


def test_recovers_the_bayes_accuracy_and_probability_of_a_noisy_binary_dim() -> None:
    codes, values = noisy_code(8_000, seed=0)
    train, test = halves(8_000)
    result = interpretability(codes, values, train, test)
    accuracy, geometric_mean = bayes_binary()  # 0.8413, 0.7003
    assert result.scores["dim"] == 0.0 and result.variant == "interpretability_svm_platt"
    assert result.scores["accuracy"] == pytest.approx(accuracy, abs=0.02)  # 4,000 test items: sd 0.006
    assert result.value == pytest.approx(geometric_mean, abs=0.02)
    assert result.scores["mean_log_prob"] == pytest.approx(math.log(result.value), rel=1e-12)
    assert result.value == result.scores["geometric_mean_prob"] and 0.0 < result.value <= 1.0


@pytest.mark.parametrize("dim", [0, 2])
def test_picks_the_attributes_dim_among_noise_dims(dim: int) -> None:
    codes, values = noisy_code(2_000, seed=1, dim=dim, classes=3)
    train, test = halves(2_000, seed=1)
    result = interpretability(codes, values, train, test)
    mutual_info = result.details["mutual_info"]
    assert result.scores["dim"] == dim and int(np.argmax(mutual_info)) == dim and mutual_info.shape == (4,)
    assert mutual_info[dim] > 0.3 and np.all(np.delete(mutual_info, dim) < 0.05)
    assert result.scores["accuracy"] > 0.7 and result.details["classes"].tolist() == [0, 1, 2]


def test_a_code_without_the_attribute_scores_near_chance() -> None:
    rng = np.random.default_rng(2)
    values = rng.integers(0, 2, size=2_000)
    result = interpretability(rng.standard_normal((2_000, 3)), values, *halves(2_000))
    assert 0.0 < result.value <= 0.52 and abs(result.scores["accuracy"] - 0.5) < 0.05


def test_deterministic_for_a_seed_and_json_ready() -> None:
    codes, values = noisy_code(1_000, seed=3)
    train, test = halves(1_000)
    first, again = interpretability(codes, values, train, test, seed=7), interpretability(codes, values, train, test, 7)
    assert first.as_dict() == again.as_dict()


def test_inputs_are_checked() -> None:
    codes, values = noisy_code(100, seed=4, classes=3)
    train, test = np.arange(60), np.arange(60, 100)
    with pytest.raises(ValueError, match=r"values: test class 2 has no training item \(training classes: \[0, 1\]\)"):
        interpretability(codes, values, train[values[train] < 2], test)
    with pytest.raises(ValueError, match=r"expected at least 2 classes among the training items, got \[1\]"):
        interpretability(codes, values, train[values[train] == 1], test[values[test] == 1])
    with pytest.raises(ValueError, match=r"train and test: expected disjoint items, 10 shared \(first: 50\)"):
        interpretability(codes, values, train, np.arange(50, 100))
    with pytest.raises(ValueError, match=r"test: expected item indices in 0..99, got 60..100"):
        interpretability(codes, values, train, np.arange(60, 101))
    with pytest.raises(ValueError, match="codes and values: expected one value per row"):
        interpretability(codes, values[:99], train, test)
    with pytest.raises(ValueError, match="values: expected integer labels"):
        interpretability(codes, values + 0.5, train, test)
    lonely = np.where(np.arange(100) == 0, 2, values % 2)  # class 2 has one training item
    with pytest.raises(ValueError, match="at least 2 training items per class"):
        interpretability(codes, lonely, train, test)


def test_quantile_classes_bin_a_continuous_attribute_on_the_training_items() -> None:
    values = np.arange(100, dtype=float)[::-1]  # training items: the values 20..99
    classes, edges = quantile_classes(values, np.arange(80), n_bins=4)
    np.testing.assert_array_equal(edges, [40.0, 60.0, 80.0])
    assert np.bincount(classes[:80]).tolist() == [20, 20, 20, 20] and np.all(classes[80:] == 0)
    ties, tie_edges = quantile_classes(np.repeat([0.0, 1.0], 50), np.arange(100), n_bins=4)
    assert tie_edges.tolist() == [1.0] and np.bincount(ties).tolist() == [50, 50]  # no empty class
    with pytest.raises(ValueError, match="n_bins: expected an integer >= 2, got 1"):
        quantile_classes(values, np.arange(80), n_bins=1)


def test_a_binned_continuous_attribute_is_scored() -> None:
    rng = np.random.default_rng(5)
    width = rng.uniform(0.0, 1.0, size=3_000)  # e.g. stroke width
    codes = np.column_stack([rng.standard_normal(3_000), width + 0.05 * rng.standard_normal(3_000)])
    train, test = halves(3_000)
    classes, _ = quantile_classes(width, train, n_bins=3)
    result = interpretability(codes, classes, train, test)
    assert result.scores["dim"] == 1.0 and result.scores["accuracy"] > 0.75
