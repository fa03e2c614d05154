"""Datasets: the shared contract for every registered dataset, then each dataset's own ground truth."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from mocap_params import needing_mocap
from scipy.stats import spearmanr
from sklearn.datasets import load_breast_cancer, load_digits

from models.datasets import Dataset, FactorGrid, UnknownDatasetError, dataset_names, get_dataset
from models.datasets.bars import make_bars
from models.datasets.digits import stroke_thickness
from models.datasets.dsprites import build_base_sprites

EXPECTED = {"bars", "breast_cancer", "digits", "dsprites", "glyphs", "humanoid_mocap"}
GROUPED = {"bars", "breast_cancer", "humanoid_mocap"}  # info.groups: the oi-VAE's feature groups
GRIDDED = {"dsprites", "glyphs"}  # a full factor grid: index <-> factor values


def sample_indices(ds: Dataset, n: int = 64, seed: int = 0) -> np.ndarray:
    """(n + 2,) random indices plus the first and the last."""
    rng = np.random.default_rng(seed)
    return np.concatenate([[0, len(ds) - 1], rng.integers(0, len(ds), size=n)]).astype(np.int64)


def all_indices(ds: Dataset) -> np.ndarray:
    return np.arange(len(ds), dtype=np.int64)


# --------------------------------------------------------------------------------------- FactorGrid


def test_factor_grid_is_row_major_mixed_radix() -> None:
    grid = FactorGrid((3, 4, 5))
    assert grid.size == 60
    factors = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [2, 3, 4]])
    np.testing.assert_array_equal(grid.to_index(factors), [0, 1, 5, 20, 59])
    every = np.arange(60)
    np.testing.assert_array_equal(grid.to_index(grid.to_factors(every)), every)
    # the last factor runs fastest, exactly like np.unravel_index in C order
    np.testing.assert_array_equal(grid.to_factors(every), np.stack(np.unravel_index(every, (3, 4, 5)), 1))
    assert grid.to_factors(every).dtype == np.int64 and grid.to_index(factors).dtype == np.int64


def test_factor_grid_rejects_out_of_range() -> None:
    grid = FactorGrid((3, 4))
    with pytest.raises(IndexError):
        grid.to_index(np.array([[3, 0]]))
    with pytest.raises(IndexError):
        grid.to_index(np.array([[0, -1]]))
    with pytest.raises(IndexError):
        grid.to_factors(np.array([12]))
    with pytest.raises(ValueError):
        FactorGrid((3, 0))


def test_factor_grid_sample_is_uniform() -> None:
    grid = FactorGrid((2, 5, 7))
    f = grid.sample(7000, np.random.default_rng(0))
    assert f.shape == (7000, 3) and f.dtype == np.int64
    for j, size in enumerate(grid.sizes):
        counts = np.bincount(f[:, j], minlength=size)
        assert len(counts) == size
        expected = 7000 / size
        assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))
    # same seed, same samples
    np.testing.assert_array_equal(f, grid.sample(7000, np.random.default_rng(0)))


# ------------------------------------------------------------------------------- the shared contract


@pytest.mark.extra("mocap")
def test_registry_lists_the_datasets() -> None:
    assert set(dataset_names()) == EXPECTED
    assert {n for n in EXPECTED if get_dataset(n).info.groups} == GROUPED
    assert {n for n in EXPECTED if get_dataset(n).grid is not None} == GRIDDED
    assert all(get_dataset(n).info.kind != "grouped_vector" for n in EXPECTED - GROUPED)  # grouped data has groups
    assert get_dataset("bars") is get_dataset("bars")  # built once per process
    with pytest.raises(UnknownDatasetError):
        get_dataset("no_such_dataset")


@pytest.mark.parametrize("name", needing_mocap(EXPECTED))
def test_contract(name: str) -> None:
    ds = get_dataset(name)
    info = ds.info
    assert info.name == name and len(ds) == info.n_items > 0
    idx = sample_indices(ds)

    x = ds.items(idx)
    assert x.shape == (len(idx), *info.shape) and x.dtype == np.float32
    assert np.all(np.isfinite(x))
    if info.likelihood == "bernoulli":
        assert x.min() >= 0.0 and x.max() <= 1.0
    if info.kind == "image":
        assert len(info.shape) == 3 and info.shape[0] == 1
    np.testing.assert_array_equal(ds.items(idx[:5]), x[:5])  # deterministic, order kept
    assert ds.items(np.array([], dtype=np.int64)).shape == (0, *info.shape)
    with pytest.raises(IndexError):
        ds.items(np.array([len(ds)]))

    f = ds.factors(idx)
    assert len(info.factor_names) == len(info.factor_sizes) == f.shape[1]
    assert f.shape == (len(idx), len(info.factor_names)) and f.dtype == np.int64
    assert np.all(f >= 0) and np.all(f < np.asarray(info.factor_sizes))

    a = ds.attributes(idx)
    assert len(info.attribute_names) == len(info.attribute_kinds) == a.shape[1]
    assert a.shape == (len(idx), len(info.attribute_names)) and a.dtype == np.float64
    assert np.all(np.isfinite(a))
    for j, kind in enumerate(info.attribute_kinds):
        assert kind in ("categorical", "continuous")
        if kind == "categorical":
            np.testing.assert_array_equal(a[:, j], np.round(a[:, j]))

    json.dumps(info.to_json())  # metadata is JSON-serialisable as it stands


@pytest.mark.parametrize("name", needing_mocap(GROUPED))
def test_groups_tile_the_features(name: str) -> None:
    info = get_dataset(name).info
    starts = [g.start for g in info.groups]
    stops = [g.stop for g in info.groups]
    assert starts[0] == 0 and stops[-1] == info.n_features
    assert starts[1:] == stops[:-1]  # contiguous, in order, no overlap
    assert all(g.stop > g.start for g in info.groups)
    assert len({g.name for g in info.groups}) == len(info.groups)


@pytest.mark.parametrize("name", sorted(GRIDDED))
def test_grid_matches_factors(name: str) -> None:
    ds = get_dataset(name)
    assert ds.grid.sizes == ds.info.factor_sizes and ds.grid.size == len(ds)
    idx = sample_indices(ds, 200)
    np.testing.assert_array_equal(ds.factors(idx), ds.grid.to_factors(idx))
    np.testing.assert_array_equal(ds.grid.to_index(ds.factors(idx)), idx)


def test_which_datasets_are_full_grids() -> None:
    assert get_dataset("dsprites").grid is not None and get_dataset("glyphs").grid is not None
    for name in ("bars", "digits", "breast_cancer"):
        assert get_dataset(name).grid is None


# ---------------------------------------------------------------------------------------- dsprites


def dsprite(ds: Dataset, factors: list[int]) -> np.ndarray:
    """One image (64, 64) by its factor indices."""
    assert ds.grid is not None
    return ds.items(ds.grid.to_index(np.array([factors])))[0, 0]


def test_dsprites_grid_and_index_round_trip() -> None:
    ds = get_dataset("dsprites")
    info = ds.info
    assert len(ds) == 737_280 == 3 * 6 * 40 * 32 * 32
    assert info.factor_names == ("shape", "scale", "orientation", "posX", "posY")
    assert info.factor_sizes == (3, 6, 40, 32, 32)
    assert info.shape == (1, 64, 64) and info.likelihood == "bernoulli"
    grid = ds.grid
    assert grid is not None
    corners = np.array(
        [[0, 0, 0, 0, 0], [2, 5, 39, 31, 31], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0], [1, 0, 0, 0, 0]]
    )
    np.testing.assert_array_equal(grid.to_index(corners), [0, 737_279, 1, 32, 245_760])
    np.testing.assert_array_equal(ds.factors(grid.to_index(corners)), corners)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, len(ds), size=1000)
    np.testing.assert_array_equal(grid.to_index(ds.factors(idx)), idx)
    f = grid.sample(1000, rng)
    np.testing.assert_array_equal(ds.factors(grid.to_index(f)), f)


def test_dsprites_attributes_are_the_factor_values() -> None:
    ds = get_dataset("dsprites")
    assert ds.grid is not None
    f = np.array([[0, 0, 0, 0, 0], [2, 5, 39, 31, 31], [1, 3, 10, 16, 8]])
    a = ds.attributes(ds.grid.to_index(f))
    np.testing.assert_allclose(a[:, 0], [0, 2, 1])
    np.testing.assert_allclose(a[:, 1], [0.5, 1.0, 0.8])
    np.testing.assert_allclose(a[:, 2], [0.0, 2 * np.pi * 39 / 40, np.pi / 2])
    np.testing.assert_allclose(a[:, 3], [0.0, 1.0, 16 / 31])
    np.testing.assert_allclose(a[:, 4], [0.0, 1.0, 8 / 31])
    assert ds.info.attribute_kinds[0] == "categorical" and set(ds.info.attribute_kinds[1:]) == {"continuous"}


def test_dsprites_images_are_binary_and_not_empty() -> None:
    ds = get_dataset("dsprites")
    x = ds.items(sample_indices(ds, 300))
    assert set(np.unique(x)) == {0.0, 1.0}
    ink = x.sum(axis=(1, 2, 3))
    assert ink.min() >= 50 and ink.max() <= 64 * 64 / 4


def test_dsprites_every_factor_step_changes_the_image() -> None:
    ds = get_dataset("dsprites")
    grid = ds.grid
    assert grid is not None
    base = grid.sample(40, np.random.default_rng(2))  # (40, 5)
    for j, size in enumerate(grid.sizes):
        stepped = base.copy()
        stepped[:, j] = (base[:, j] + 1) % size  # one step along factor j
        a = ds.items(grid.to_index(base))
        b = ds.items(grid.to_index(stepped))
        changed = np.abs(a - b).sum(axis=(1, 2, 3))
        assert np.all(changed > 0), f"a step in {grid.sizes} factor {j} left an image unchanged"


def test_dsprites_rotational_symmetries_are_the_shapes_own() -> None:
    sprites = build_base_sprites()  # (3, 6, 40, 32, 32)
    assert sprites.shape == (3, 6, 40, 32, 32)
    # distinct images over the 40 orientations: square repeats every 90 deg, ellipse every 180 deg
    for shape, period in enumerate((10, 20, 40)):
        for scale in range(6):
            assert len({sprites[shape, scale, k].tobytes() for k in range(40)}) == period
    # the three shapes differ at every scale and orientation; scale steps change every sprite
    for s1, s2 in ((0, 1), (0, 2), (1, 2)):
        assert (sprites[s1] != sprites[s2]).sum(axis=(2, 3)).min() > 0
    assert (sprites[:, 1:] != sprites[:, :-1]).sum(axis=(3, 4)).min() > 0
    assert np.all(sprites.sum(axis=(3, 4))[:, 1:] > sprites.sum(axis=(3, 4))[:, :-1])  # bigger = more ink


def test_dsprites_positions_are_exact_shifts_without_clipping() -> None:
    ds = get_dataset("dsprites")
    rng = np.random.default_rng(3)
    for _ in range(30):
        shape, scale, orient = rng.integers(0, 3), rng.integers(0, 6), rng.integers(0, 40)
        k, l_ = (int(v) for v in rng.integers(0, 32, size=2))  # posX = k columns, posY = l_ rows
        ref = dsprite(ds, [shape, scale, orient, 0, 0])
        moved = dsprite(ds, [shape, scale, orient, k, l_])
        # nothing would wrap around: the reference has no ink in the last l_ rows / k columns
        assert ref[64 - l_ :, :].sum() == 0 and ref[:, 64 - k :].sum() == 0
        np.testing.assert_array_equal(moved, np.roll(ref, (l_, k), axis=(0, 1)))
    # every base sprite keeps all its ink at the far corner and stays off the border at the origin
    grid = ds.grid
    assert grid is not None
    base = np.stack(np.unravel_index(np.arange(720), (3, 6, 40)), axis=1)  # (720, 3)
    near = ds.items(grid.to_index(np.column_stack([base, np.zeros((720, 2), int)])))
    far = ds.items(grid.to_index(np.column_stack([base, np.full((720, 2), 31)])))
    np.testing.assert_array_equal(near.sum(axis=(1, 2, 3)), far.sum(axis=(1, 2, 3)))
    assert near[:, 0, 0, :].sum() == 0 and near[:, 0, :, 0].sum() == 0
    assert far[:, 0, -1, :].sum() == 0 and far[:, 0, :, -1].sum() == 0


def test_dsprites_is_lazy() -> None:
    ds = get_dataset("dsprites")
    held = sum(v.nbytes for v in vars(ds).values() if isinstance(v, np.ndarray))
    assert held < 4_000_000  # the 720 base sprites, not 737,280 images (3 GB)
    start = time.perf_counter()
    one = ds.items(np.array([123_456]))
    assert time.perf_counter() - start < 0.05
    assert one.shape == (1, 1, 64, 64)


# -------------------------------------------------------------------------------------------- bars


def test_bars_one_lit_row_per_image() -> None:
    ds = get_dataset("bars")
    idx = all_indices(ds)
    assert len(ds) == 2048 and ds.info.shape == (1, 8, 8) and ds.info.likelihood == "gaussian"
    x = ds.items(idx)[:, 0].astype(np.float64)  # (2048, 8, 8)
    row_means = x.mean(axis=2)  # (2048, 8)
    lit = np.abs(row_means - 0.5) < 0.1
    dark = np.abs(row_means) < 0.1
    assert np.all(lit.sum(axis=1) == 1) and np.all(lit | dark)
    rows = ds.factors(idx)[:, 0]
    np.testing.assert_array_equal(row_means.argmax(axis=1), rows)
    np.testing.assert_array_equal(ds.attributes(idx)[:, 0], rows)
    counts = np.bincount(rows, minlength=8)  # uniform rows: ~256 each
    assert counts.min() > 180 and counts.max() < 340
    noise = x.copy()
    noise[np.arange(len(x)), rows, :] -= 0.5
    assert abs(noise.mean()) < 0.002 and abs(noise.std() - 0.05) < 0.001


def test_bars_groups_are_the_rows_and_seed_is_fixed() -> None:
    ds = get_dataset("bars")
    assert [g.name for g in ds.info.groups] == [f"row{r}" for r in range(8)]
    idx = np.arange(50)
    flat = ds.items(idx).reshape(50, 64)
    rows = ds.factors(idx)[:, 0]
    for r, g in enumerate(ds.info.groups):
        means = flat[:, g.start : g.stop].mean(axis=1)
        np.testing.assert_array_equal(means > 0.25, rows == r)
    # "seed 000": one Generator seeded with 0 draws the rows first, then the noise
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(ds.factors(all_indices(ds))[:, 0], rng.integers(0, 8, size=2048))
    x_again, _ = make_bars()
    np.testing.assert_array_equal(ds.items(all_indices(ds)), x_again)


# ------------------------------------------------------------------------------------------ digits


def test_digits_are_sklearns_and_thickness_tracks_ink() -> None:
    ds = get_dataset("digits")
    idx = all_indices(ds)
    bunch = load_digits()
    assert len(ds) == 1797
    x = ds.items(idx)
    np.testing.assert_allclose(x[:, 0], bunch.images / 16.0, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(ds.factors(idx)[:, 0], bunch.target)
    a = ds.attributes(idx)
    assert ds.info.attribute_names == ("label", "thickness")
    np.testing.assert_array_equal(a[:, 0], bunch.target)
    thickness = a[:, 1]
    assert np.all(np.isfinite(thickness)) and np.all(thickness > 0.5) and np.all(thickness < 4)
    assert spearmanr(thickness, x.sum(axis=(1, 2, 3))).statistic > 0.4


def test_stroke_thickness_of_known_bars() -> None:
    # a binary bar of width w and length L: 2 A / P = 2 w L / (2 (w + L)) -> w as L grows
    img = np.zeros((3, 40, 200))
    for i, w in enumerate((2, 4, 6)):
        img[i, 10 : 10 + w, 10:190] = 1.0
    t = stroke_thickness(img)
    np.testing.assert_allclose(t, [2, 4, 6], rtol=0.05)
    assert np.isfinite(stroke_thickness(np.zeros((1, 8, 8)))).all()


# ------------------------------------------------------------------------------------------ glyphs


@pytest.fixture(scope="module")
def glyphs_all() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, 28, 28) float64 images, (N, 5) factors, (N, 5) attributes for every glyph."""
    ds = get_dataset("glyphs")
    idx = all_indices(ds)
    return ds.items(idx)[:, 0].astype(np.float64), ds.factors(idx), ds.attributes(idx)


def test_glyphs_grid(glyphs_all: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    ds = get_dataset("glyphs")
    x, f, a = glyphs_all
    assert 6000 <= len(ds) <= 12000 and ds.info.shape == (1, 28, 28)
    assert ds.info.factor_names[0] == "digit" and ds.info.factor_sizes[0] == 10
    assert ds.info.attribute_names == ("label", "stroke_width", "slant", "scale", "rotation")
    np.testing.assert_array_equal(a[:, 0], f[:, 0])
    for j in range(1, 5):  # each continuous attribute is a strictly increasing function of its factor
        values = [np.unique(a[f[:, j] == v, j]) for v in range(ds.info.factor_sizes[j])]
        assert all(len(v) == 1 for v in values) and np.all(np.diff(np.concatenate(values)) > 0)
    # MNIST-like: ink everywhere, grey edges, nothing touching the border (no clipping)
    assert np.all(x.max(axis=(1, 2)) > 0.9) and np.mean((x > 0.05) & (x < 0.95)) > 0.02
    border = np.concatenate([x[:, 0, :], x[:, -1, :], x[:, :, 0], x[:, :, -1]], axis=1)
    assert border.max() == 0.0


def test_glyphs_attributes_match_the_pixels(glyphs_all: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    x, _, a = glyphs_all
    mass = x.sum(axis=(1, 2))  # (N,)
    assert spearmanr(mass, a[:, 1]).statistic > 0.5  # ink grows with stroke width
    yy, xx = np.mgrid[:28, :28]
    cx = (x * xx).sum(axis=(1, 2)) / mass
    cy = (x * yy).sum(axis=(1, 2)) / mass
    dx, dy = xx - cx[:, None, None], yy - cy[:, None, None]  # (N, 28, 28)
    measured_slant = -(x * dx * dy).sum(axis=(1, 2)) / (x * dy**2).sum(axis=(1, 2))  # y points down
    assert spearmanr(measured_slant, a[:, 2]).statistic > 0.5
    upright = a[:, 4] == 0
    assert spearmanr(measured_slant[upright], a[upright, 2]).statistic > 0.8
    assert spearmanr(measured_slant, -a[:, 4]).statistic > 0.3  # counter-clockwise tips the top left
    inked_rows = x > 0.5  # (N, 28, 28)
    rows = inked_rows.any(axis=2)
    height = 28 - rows.argmax(axis=1) - rows[:, ::-1].argmax(axis=1)  # bounding-box height, px
    assert spearmanr(height, a[:, 3]).statistic > 0.7
    # the glyph stays centred
    assert np.all(np.abs(cx - 13.5) < 3) and np.all(np.abs(cy - 13.5) < 3)


def test_glyphs_digits_differ(glyphs_all: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    x, f, _ = glyphs_all
    same_style = np.all(f[:, 1:] == [2, 2, 4, 2], axis=1)  # middle stroke, upright, largest, unrotated
    assert same_style.sum() == 10
    imgs = x[same_style].reshape(10, -1)  # ordered by digit (the slowest factor)
    dist = np.abs(imgs[:, None] - imgs[None]).sum(axis=2)  # (10, 10) L1
    off_diag = dist[~np.eye(10, dtype=bool)]
    assert off_diag.min() > 20  # pixels' worth of difference between any two digits
    # a nearest-class-mean classifier on the other styles gets the digits right most of the time
    means = np.stack([x[f[:, 0] == d].mean(axis=0).ravel() for d in range(10)])  # (10, 784)
    pred = np.argmin(((x.reshape(len(x), -1)[:, None] - means[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(pred == f[:, 0]) > 0.5


def test_glyphs_render_once_and_stay_identical() -> None:
    ds = get_dataset("glyphs")
    idx = np.array([5, 4000, 5])
    a = ds.items(idx)
    np.testing.assert_array_equal(a[0], a[2])
    a[0] += 1  # callers get copies
    np.testing.assert_array_equal(ds.items(idx), ds.items(idx))
    assert not np.array_equal(ds.items(idx)[0], a[0])


# ----------------------------------------------------------------------------------- breast cancer


def test_breast_cancer_groups_and_z_scores() -> None:
    ds = get_dataset("breast_cancer")
    info = ds.info
    idx = all_indices(ds)
    x = ds.items(idx).astype(np.float64)  # (569, 30)
    assert x.shape == (569, 30) and info.kind == "grouped_vector" and info.likelihood == "gaussian"
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=0), 1, atol=1e-4)
    names = [g.name for g in info.groups]
    assert len(names) == 10 and all(g.stop - g.start == 3 for g in info.groups)
    assert names[:4] == ["radius", "texture", "perimeter", "area"] and names[-1] == "fractal dimension"
    feature_names = info.extra["feature_names"]
    for g in info.groups:
        assert feature_names[g.start : g.stop] == [f"mean {g.name}", f"{g.name} error", f"worst {g.name}"]
    # the columns are sklearn's, reordered and z-scored
    bunch = load_breast_cancer()
    for j, fname in enumerate(feature_names):
        col = bunch.data[:, list(bunch.feature_names).index(fname)]
        np.testing.assert_allclose(x[:, j], (col - col.mean()) / col.std(), atol=1e-4)
    diagnosis = ds.factors(idx)[:, 0]
    np.testing.assert_array_equal(diagnosis, bunch.target)
    np.testing.assert_array_equal(ds.attributes(idx)[:, 0], bunch.target)
    assert np.bincount(diagnosis).tolist() == [212, 357]  # malignant, benign
