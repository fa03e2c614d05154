"""Attributes: every dataset's schema (names, kinds, classes, ranges), its values against the ground truth each
dataset is built from, and how a raw value is read against a schema."""

from __future__ import annotations

import numpy as np
import pytest
from mocap_params import needing_mocap
from sklearn.datasets import load_breast_cancer, load_digits

from models.datasets import Attribute, DatasetInfo, UnknownAttributeError, dataset_names, dsprites, get_dataset, glyphs
from models.datasets.base import ArrayDataset
from models.datasets.digits import stroke_thickness

DIGIT_CLASSES = tuple(str(d) for d in range(10))
# dataset -> {attribute: class names (categorical) or (lo, hi) (continuous)}: what each must describe
EXPECTED = {
    "glyphs": {"label": DIGIT_CLASSES, "stroke_width": (0.0, 1.2), "slant": (-0.3, 0.3), "scale": (0.6, 1.0),
               "rotation": (-20.0, 20.0)},
    "digits": {"label": DIGIT_CLASSES, "thickness": None},  # range: the observed one, checked below
    "dsprites": {"shape": ("square", "ellipse", "heart"), "scale": (0.5, 1.0), "orientation": (0.0, 2 * np.pi),
                 "posX": (0.0, 1.0), "posY": (0.0, 1.0)},
    "breast_cancer": {"diagnosis": ("malignant", "benign")},
    "humanoid_mocap": {"clip": None, "phase": (0.0, 1.0)},  # classes: the clips pybullet ships, checked below
    "bars": {"row": tuple(str(r) for r in range(8))},
}


def sample(n_items: int, n: int = 300, seed: int = 0) -> np.ndarray:
    """(n + 2,) indices: the first, the last and n random ones."""
    return np.concatenate([[0, n_items - 1], np.random.default_rng(seed).integers(0, n_items, n)]).astype(np.int64)


# ----------------------------------------------------------------------------------- every dataset


def test_every_dataset_is_covered() -> None:
    assert set(dataset_names()) == set(EXPECTED)


@pytest.mark.parametrize("name", needing_mocap(EXPECTED))
def test_schema_describes_the_named_attributes(name: str) -> None:
    ds = get_dataset(name)
    specs = ds.attribute_specs()
    assert [a.name for a in specs] == list(EXPECTED[name])
    assert ds.info.attribute_names == tuple(a.name for a in specs)  # DatasetInfo's JSON stays as it was
    assert ds.info.attribute_kinds == tuple(a.kind for a in specs)
    for spec in specs:
        expected = EXPECTED[name][spec.name]
        assert spec.description and ds.attribute(spec.name) == spec
        if spec.kind == "categorical":
            assert expected is None or spec.classes == expected
            assert (spec.lo, spec.hi, spec.unit) == (None, None, None)
        else:
            assert spec.unit and spec.classes == ()
            assert expected is None or (spec.lo, spec.hi) == pytest.approx(expected)
        assert spec.to_json()["kind"] == spec.kind


@pytest.mark.parametrize("name", needing_mocap(EXPECTED))
def test_values_have_the_schema_shape_and_range(name: str) -> None:
    ds = get_dataset(name)
    idx = sample(len(ds))
    for j, spec in enumerate(ds.attribute_specs()):
        values = ds.attribute_values(spec.name, idx)
        assert values.shape == idx.shape and values.dtype == spec.dtype
        np.testing.assert_array_equal(values, ds.attributes(idx)[:, j])  # the same numbers as before, typed
        if spec.kind == "categorical":
            assert values.dtype == np.int64 and values.min() >= 0 and values.max() < len(spec.classes)
        else:
            assert values.dtype == np.float64 and np.all(np.isfinite(values))
            assert spec.lo <= values.min() and values.max() <= spec.hi


@pytest.mark.parametrize("name", needing_mocap(["bars", "breast_cancer", "digits", "glyphs", "humanoid_mocap"]))
def test_values_of_every_item(name: str) -> None:
    ds = get_dataset(name)
    for spec in ds.attribute_specs():
        every = ds.attribute_values(spec.name)
        assert every.shape == (len(ds),)
        np.testing.assert_array_equal(every, ds.attribute_values(spec.name, np.arange(len(ds))))
        if spec.kind == "categorical":  # every class occurs
            assert set(np.unique(every)) == set(range(len(spec.classes)))
        else:
            assert spec.lo <= every.min() and every.max() <= spec.hi


def test_unknown_attribute_lists_the_known_ones() -> None:
    ds = get_dataset("digits")
    with pytest.raises(UnknownAttributeError, match=r"no attribute 'colour'.*\['label', 'thickness'\]"):
        ds.attribute_values("colour")
    with pytest.raises(UnknownAttributeError):
        ds.attribute("colour")
    with pytest.raises(IndexError):
        ds.attribute_values("label", np.array([len(ds)]))


# --------------------------------------------------------------------------- each dataset's ground truth


def test_dsprites_values_are_its_factor_grid_in_natural_units(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = get_dataset("dsprites")
    monkeypatch.setattr(ds, "items", lambda indices: pytest.fail("attribute values must not render items"))
    idx = sample(len(ds), 2000)
    f = ds.grid.to_factors(idx)  # (B, 5) factor indices
    np.testing.assert_array_equal(ds.attribute_values("shape", idx), f[:, 0])
    np.testing.assert_allclose(ds.attribute_values("scale", idx), np.linspace(0.5, 1.0, 6)[f[:, 1]])
    np.testing.assert_allclose(ds.attribute_values("orientation", idx), f[:, 2] * 2 * np.pi / 40)  # radians
    np.testing.assert_allclose(ds.attribute_values("posX", idx), f[:, 3] / 31)
    np.testing.assert_allclose(ds.attribute_values("posY", idx), f[:, 4] / 31)
    pos_y = ds.attribute_values("posY")  # all 737,280 items, without an image
    assert pos_y.shape == (737_280,)
    np.testing.assert_array_equal(np.unique(pos_y, return_counts=True)[1], np.full(32, 737_280 // 32))
    assert ds.attribute("shape").classes == dsprites.SHAPES


def test_glyphs_values_are_what_it_renders_with(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = get_dataset("glyphs")
    idx = sample(len(ds), 500)
    f = ds.grid.to_factors(idx)  # (B, 5): digit, stroke, slant, scale, rotation indices
    with monkeypatch.context() as m:
        m.setattr(glyphs, "render", lambda factors: pytest.fail("attribute values must not render items"))
        values = {spec.name: ds.attribute_values(spec.name, idx) for spec in ds.attribute_specs()}
    np.testing.assert_array_equal(values["label"], f[:, 0])
    for j, name in enumerate(("stroke_width", "slant", "scale", "rotation"), start=1):
        np.testing.assert_array_equal(values[name], glyphs.FACTOR_VALUES[j][f[:, j]])
    # the values are the renderer's: more stroke width or a larger scale puts more ink on the page
    base = np.array([8, 0, 2, 2, 2])  # an upright 8, thinnest stroke, middle scale
    ink = {}
    for name, column in (("stroke_width", 1), ("scale", 3)):
        grid = np.repeat(base[None], 5, 0)
        grid[:, column] = np.arange(5)
        items = ds.grid.to_index(grid)
        ink[name] = ds.items(items).sum(axis=(1, 2, 3))
        assert np.all(np.diff(ds.attribute_values(name, items)) > 0)
        assert np.all(np.diff(ink[name]) > 0), (name, ink[name])


def test_digits_values_are_the_label_and_the_computed_thickness() -> None:
    ds = get_dataset("digits")
    bunch = load_digits()
    np.testing.assert_array_equal(ds.attribute_values("label"), bunch.target)
    thickness = stroke_thickness(bunch.images / 16.0)
    np.testing.assert_allclose(ds.attribute_values("thickness"), thickness)
    spec = ds.attribute("thickness")
    assert spec.lo <= thickness.min() < spec.lo + 0.1 and spec.hi - 0.1 < thickness.max() <= spec.hi
    assert spec.unit == "pixels"


def test_breast_cancer_diagnosis() -> None:
    ds = get_dataset("breast_cancer")
    bunch = load_breast_cancer()
    np.testing.assert_array_equal(ds.attribute_values("diagnosis"), bunch.target)
    assert ds.attribute("diagnosis").classes == tuple(bunch.target_names)


@pytest.mark.extra("mocap")
def test_humanoid_clip_classes_are_the_clips() -> None:
    ds = get_dataset("humanoid_mocap")
    every = np.arange(len(ds))
    assert ds.attribute("clip").classes == tuple(ds.info.extra["clips"])
    np.testing.assert_array_equal(ds.attribute_values("clip"), ds.factors(every)[:, 0])
    phase = ds.attribute_values("phase")
    assert phase.min() == 0.0 and phase.max() == 1.0


def test_a_dataset_schema_must_match_its_info() -> None:
    info = DatasetInfo("t", "grouped_vector", (2,), 3, "gaussian", "test", attribute_names=("a",),
                       attribute_kinds=("continuous",))
    x = np.zeros((3, 2))
    ok = ArrayDataset(info, x, attributes=np.array([[0.0], [0.5], [1.0]]),
                      schema=(Attribute.continuous("a", 0, 1, "u", "an attribute"),))
    np.testing.assert_array_equal(ok.attribute_values("a"), [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="does not match"):
        ArrayDataset(info, x, attributes=np.zeros((3, 1)), schema=(Attribute.categorical("a", "xy", "wrong kind"),))
    with pytest.raises(ValueError, match="does not match"):
        ArrayDataset(info, x, attributes=np.zeros((3, 1)))  # no schema for a named attribute


# --------------------------------------------------------------------------------- reading a raw value


def test_categorical_reads_names_first_then_indices() -> None:
    spec = Attribute.categorical("flip", ["1", "0", "two"], "class names that look like other indices")
    assert spec.parse("1") == 0 and spec.parse("0") == 1  # a class name wins over the index it spells
    assert spec.parse(1) == 1 and spec.parse(np.int64(2)) == 2  # a number is an index
    assert spec.parse("2") == 2 and spec.parse(" two ") == 2  # text that is no name is read as an index
    assert [spec.format(i) for i in range(3)] == ["1", "0", "two"]
    assert all(spec.parse(spec.format(i)) == i for i in range(3))  # written names read back
    for bad in ("3", "three", 3, -1, 1.0, True, None, "", "1.0"):
        with pytest.raises(ValueError, match=r"expected a class name \('1', '0', 'two'\) or a class index 0..2"):
            spec.parse(bad)


def test_continuous_reads_finite_numbers_in_range() -> None:
    spec = Attribute.continuous("w", -1.0, 2.0, "px", "a width")
    assert spec.parse("0.5") == 0.5 and spec.parse(2) == 2.0 and spec.parse(-1.0) == -1.0 and spec.parse(" 1e0") == 1.0
    assert spec.format(0.25) == 0.25
    for bad in (float("nan"), "nan", float("inf"), "-inf", "abc", True, None, [1.0]):
        with pytest.raises(ValueError, match="expected a finite number in"):
            spec.parse(bad)
    for outside in (2.0001, "-1.5", 1e300):
        with pytest.raises(ValueError, match=r"expected a number in \[-1.0, 2.0\] \(px\)"):
            spec.parse(outside)


def test_schemas_are_checked() -> None:
    with pytest.raises(ValueError, match="distinct"):
        Attribute.categorical("c", ["a", "a"], "duplicate names")
    with pytest.raises(ValueError, match="distinct"):
        Attribute.categorical("c", ["a"], "one class")
    with pytest.raises(ValueError, match="lo <= hi"):
        Attribute.continuous("x", 1.0, 0.0, "u", "empty range")
    with pytest.raises(ValueError, match="lo <= hi"):
        Attribute.continuous("x", 0.0, float("inf"), "u", "unbounded")
    with pytest.raises(ValueError, match="kind"):
        Attribute("x", "ordinal", "no such kind")  # type: ignore[arg-type]
