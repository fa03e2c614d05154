"""The dim x factor information matrix: known answers on synthetic codes, and agreement with MIG (dlib)."""

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from models import dim_factor_information
from models.metrics import mig_dlib

N = 5000


def grid_factors(rng: np.random.Generator) -> np.ndarray:
    """(N, 3) uniform factor values: 10, 8 and 5 levels."""
    return np.stack([rng.integers(0, size, N) for size in (10, 8, 5)], axis=1)


def test_each_factor_is_found_in_the_dim_that_encodes_it() -> None:
    """dim 0 = factor 1 + small noise, dim 2 = factor 0 + small noise, dim 1 = noise, dim 3 = factor 0 + large noise:
    factor 0's best dim is 2 with dim 3 as a weaker runner-up, factor 1's is 0, factor 2 is in no dim."""
    rng = np.random.default_rng(0)
    v = grid_factors(rng)
    codes = np.stack([v[:, 1] + 0.05 * rng.normal(size=N), rng.normal(size=N), v[:, 0] + 0.05 * rng.normal(size=N),
                      v[:, 0] + 3.0 * rng.normal(size=N)], axis=1)
    info = dim_factor_information(codes, v)
    assert info.normalised.shape == info.mutual_info.shape == (4, 3)
    assert info.best_dim[:2].tolist() == [2, 0]
    assert info.normalised[2, 0] > 0.9 and info.normalised[0, 1] > 0.9  # all of the factor, to plug-in bias
    assert 0.05 < info.normalised[3, 0] < 0.6  # the noisy copy: some, not all
    assert info.gap[0] == pytest.approx(info.normalised[2, 0] - info.normalised[3, 0])
    assert info.gap[1] > 0.85
    assert info.normalised[:, 2].max() < 0.05 and info.gap[2] < 0.05  # factor 2: no dim knows it
    np.testing.assert_allclose(info.normalised, info.mutual_info / info.entropy)
    assert np.all((info.normalised >= 0) & (info.normalised <= 1 + 1e-9))


def test_the_mean_gap_is_mig_dlib() -> None:
    rng = np.random.default_rng(1)
    v = grid_factors(rng)
    codes = v @ rng.normal(size=(3, 5)) + rng.normal(size=(N, 5))  # mixed: every dim knows a bit of each factor
    info, mig = dim_factor_information(codes, v), mig_dlib(codes, v)
    assert float(np.mean(info.gap)) == pytest.approx(mig.value, abs=1e-12)
    np.testing.assert_allclose(info.mutual_info, mig.details["mutual_info"])
    np.testing.assert_allclose(info.entropy, mig.details["entropy"])


def test_a_duplicated_dim_has_no_gap_and_one_dim_has_the_whole_gap() -> None:
    rng = np.random.default_rng(2)
    v = grid_factors(rng)[:, :1]
    twice = dim_factor_information(np.stack([v[:, 0], v[:, 0]], axis=1).astype(float), v)
    assert twice.gap[0] == pytest.approx(0.0) and twice.normalised[:, 0] == pytest.approx([1.0, 1.0])
    once = dim_factor_information(v.astype(float), v)  # K = 1: the runner-up carries nothing
    assert once.best_dim.tolist() == [0] and once.gap[0] == pytest.approx(1.0)


def test_a_constant_factor_gets_a_zero_column() -> None:
    rng = np.random.default_rng(3)
    v = np.stack([rng.integers(0, 4, N), np.full(N, 2)], axis=1)
    info = dim_factor_information(rng.normal(size=(N, 2)) + v[:, :1], v)
    assert info.entropy[1] == 0.0 and info.normalised[:, 1].tolist() == [0.0, 0.0] and info.gap[1] == 0.0


def test_a_continuous_column_is_binned_like_the_codes() -> None:
    """A real-valued column (flagged continuous) enters as its 20 equal-width bins: the matrix equals sklearn's plug-in
    MI between the binned dim and the binned column, over the binned column's entropy; a class column is unchanged."""
    rng = np.random.default_rng(4)
    width = rng.uniform(0.5, 3.0, N)  # continuous side information
    label = rng.integers(0, 3, N)
    codes = np.stack([width + 0.1 * rng.normal(size=N), label + 0.1 * rng.normal(size=N)], axis=1)
    info = dim_factor_information(codes, np.stack([label, width], axis=1), continuous=[False, True])

    def bins(x: np.ndarray) -> np.ndarray:
        return np.digitize(x, np.histogram(x, 20)[1][:-1])

    for f, column in enumerate((label, bins(width))):
        entropy = mutual_info_score(column, column)
        expected = [mutual_info_score(column, bins(codes[:, k])) / entropy for k in range(2)]
        np.testing.assert_allclose(info.normalised[:, f], expected, rtol=1e-9)
    assert info.best_dim.tolist() == [1, 0] and info.normalised[0, 1] > 0.5
    np.testing.assert_array_equal(info.normalised[:, :1], dim_factor_information(codes, label[:, None]).normalised)
    with pytest.raises(ValueError, match="integer labels"):  # unflagged reals are still refused
        dim_factor_information(codes, width[:, None])
    with pytest.raises(ValueError, match="continuous: expected one flag per factor column"):
        dim_factor_information(codes, width[:, None], continuous=[True, False])


def test_bad_shapes_are_refused_with_their_names() -> None:
    with pytest.raises(ValueError, match="codes"):
        dim_factor_information(np.zeros((5, 2)), np.zeros((4, 1), dtype=int))
