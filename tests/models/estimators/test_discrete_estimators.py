"""Histogram binning and plug-in MI / entropy as disentanglement_lib evaluation/metrics/utils.py."""

import math

import numpy as np
import pytest

from models.estimators import discrete_entropy, discrete_mutual_info, histogram_discretize


def test_histogram_discretize_is_dlib_formula_per_column() -> None:
    x = np.random.default_rng(0).standard_normal((1_000, 3)) * [1.0, 10.0, 0.01]
    expected = np.stack([np.digitize(c, np.histogram(c, 20)[1][:-1]) for c in x.T], axis=1)
    binned = histogram_discretize(x)
    np.testing.assert_array_equal(binned, expected)
    assert binned.min() == 1 and binned.max() == 20  # the column max lands in the last bin


def test_constant_column_gets_one_label() -> None:
    binned = histogram_discretize(np.zeros((10, 2)), n_bins=20)
    assert np.unique(binned).size == 1


def test_identical_variables_share_all_information() -> None:
    y = np.random.default_rng(1).integers(0, 6, size=(5_000, 2))
    h = discrete_entropy(y)
    np.testing.assert_allclose(discrete_mutual_info(y, y), np.diag(h), atol=0.01)  # independent columns ~ 0
    np.testing.assert_allclose(np.diag(discrete_mutual_info(y, y)), h, rtol=1e-12)


def test_uniform_factor_entropy_is_log_of_its_size() -> None:
    y = np.tile(np.arange(8), 100)[:, None]  # exactly uniform over 8 values
    np.testing.assert_allclose(discrete_entropy(y), [math.log(8)], rtol=1e-12)


def test_labels_must_be_integers_and_rows_match() -> None:
    with pytest.raises(ValueError, match="factors: expected integer labels"):
        discrete_entropy(np.array([[0.5], [1.0]]))
    with pytest.raises(ValueError, match="expected the same number of rows"):
        discrete_mutual_info(np.zeros((3, 1), dtype=int), np.zeros((4, 1), dtype=int))
