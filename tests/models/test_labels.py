"""Label sets: the seeded oracle, uploads read and written (CSV, JSON, JSON lines), every bad row named by its
row number, and merge semantics (a later label replaces an earlier one)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.datasets import Dataset, UnknownAttributeError, get_dataset
from models.labels import LabelError, LabelSet, format_label_rows, parse_label_rows, reveal

HEADER = "item,attribute,value\n"


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return get_dataset("digits")  # label: classes '0'..'9'; thickness: pixels in [1.3, 2.5]


@pytest.fixture(scope="module")
def cancer() -> Dataset:
    return get_dataset("breast_cancer")  # diagnosis: malignant (0), benign (1)


# ------------------------------------------------------------------------------------- the oracle


def test_reveal_is_seeded_and_draws_without_replacement(digits: Dataset) -> None:
    labels = reveal(digits, ["label", "thickness"], 200, seed=3)
    assert labels == reveal(digits, ["label", "thickness"], 200, seed=3)
    assert labels != reveal(digits, ["label", "thickness"], 200, seed=4)
    items = labels.indices("label")
    assert len(np.unique(items)) == 200 and np.all(np.diff(items) > 0)  # distinct, kept sorted
    np.testing.assert_array_equal(labels.indices("thickness"), items)  # every attribute for the same items
    np.testing.assert_array_equal(labels.values("label"), digits.attribute_values("label", items))
    np.testing.assert_array_equal(labels.values("thickness"), digits.attribute_values("thickness", items))
    assert labels.values("label").dtype == np.int64 and labels.values("thickness").dtype == np.float64
    assert labels.n_labels == 400 and labels.attributes == ("label", "thickness")
    assert labels.dataset == "digits" and labels.n_items == len(digits)
    everything = reveal(digits, ["label"], len(digits), seed=0)  # n = the pool: every item exactly once
    np.testing.assert_array_equal(everything.indices("label"), np.arange(len(digits)))


def test_reveal_from_a_pool(digits: Dataset) -> None:
    first = reveal(digits, ["label"], 50, seed=0)
    rest = np.setdiff1d(np.arange(len(digits)), first.indices("label"))
    more = reveal(digits, ["label"], 50, seed=1, pool=rest)  # an acquisition round: only unlabelled items
    assert not set(more.indices("label")) & set(first.indices("label"))
    assert set(more.indices("label")) <= set(rest)
    small = np.array([5, 9, 9, 700])  # read as the set {5, 9, 700}
    np.testing.assert_array_equal(reveal(digits, ["label"], 3, seed=2, pool=small).indices("label"), [5, 9, 700])
    with pytest.raises(ValueError, match=r"n must be in 0..3"):
        reveal(digits, ["label"], 4, seed=0, pool=small)
    with pytest.raises(IndexError):
        reveal(digits, ["label"], 1, seed=0, pool=np.array([len(digits)]))
    with pytest.raises(UnknownAttributeError):
        reveal(digits, ["colour"], 1, seed=0)
    with pytest.raises(ValueError, match="distinct"):
        reveal(digits, ["label", "label"], 1, seed=0)
    none = reveal(digits, ["label"], 0, seed=0)
    assert none.attributes == ("label",) and none.n_labels == 0 and none.values("label").dtype == np.int64


def test_reveal_never_renders_a_lazy_dataset(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = get_dataset("dsprites")
    monkeypatch.setattr(ds, "items", lambda indices: pytest.fail("the oracle must not render items"))
    labels = reveal(ds, ["shape", "orientation"], 1000, seed=0)
    items = labels.indices("shape")
    np.testing.assert_array_equal(labels.values("shape"), ds.grid.to_factors(items)[:, 0])


# --------------------------------------------------------------------------------------- uploads


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_uploads_round_trip(fmt: str) -> None:
    for name, attributes in (("glyphs", ["label", "stroke_width", "rotation"]), ("dsprites", ["shape", "posX"])):
        ds = get_dataset(name)
        labels = reveal(ds, attributes, 40, seed=7)
        text = format_label_rows(labels, fmt)  # type: ignore[arg-type]
        assert parse_label_rows(text, fmt, ds) == labels  # type: ignore[arg-type]
        assert parse_label_rows(text.encode(), fmt, ds) == labels  # type: ignore[arg-type]


def test_written_files_use_class_names(cancer: Dataset) -> None:
    labels = LabelSet.from_rows([(0, "diagnosis", 0), (3, "diagnosis", "benign")], cancer)
    assert format_label_rows(labels, "csv") == HEADER + "0,diagnosis,malignant\n3,diagnosis,benign\n"
    assert json.loads(format_label_rows(labels, "json")) == [
        {"item": 0, "attribute": "diagnosis", "value": "malignant"},
        {"item": 3, "attribute": "diagnosis", "value": "benign"}]
    second = format_label_rows(labels, "jsonl").splitlines()[1]
    assert second == '{"item": 3, "attribute": "diagnosis", "value": "benign"}'


def test_reading_uploads(digits: Dataset) -> None:
    csv = "\ufeffvalue, item ,attribute\n3,10,label\n\n1.75,10, thickness\n3,11,label\n3,10,label\n"  # BOM, any order
    labels = parse_label_rows(csv, "csv", digits)
    np.testing.assert_array_equal(labels.indices("label"), [10, 11])  # the repeat with the same value: once
    np.testing.assert_array_equal(labels.values("label"), [3, 3])
    assert labels.values("thickness").tolist() == [1.75] and labels.n_labels == 3
    js = json.dumps([{"item": 4, "attribute": "label", "value": 7}, {"attribute": "label", "value": "2", "item": 5}])
    assert list(parse_label_rows(js, "json", digits).rows()) == [(4, "label", 7), (5, "label", 2)]
    assert parse_label_rows(HEADER, "csv", digits).n_labels == 0
    assert parse_label_rows("[]", "json", digits).attributes == ()
    with pytest.raises(ValueError, match="unknown label format 'xml'"):
        parse_label_rows("", "xml", digits)  # type: ignore[arg-type]


def _error(text: str | bytes, fmt: str, dataset: Dataset, **limits: int) -> LabelError:
    with pytest.raises(LabelError) as caught:
        parse_label_rows(text, fmt, dataset, **limits)  # type: ignore[arg-type]
    return caught.value


# (upload, format, row, field, words of the message): row 1 of a CSV is its header
BAD = [
    (HEADER + "1,label,3\n2,colour,3\n", "csv", 3, "attribute", "no attribute 'colour'"),
    (HEADER + "1,label,3\n1797,label,3\n", "csv", 3, "item", "expected an item index 0..1796"),
    (HEADER + "-1,label,3\n", "csv", 2, "item", "got '-1'"),
    (HEADER + "1.5,label,3\n", "csv", 2, "item", "(an integer)"),
    (HEADER + "1,label,3\n2,label,ten\n", "csv", 3, "value", "label: expected a class name ('0', '1'"),
    (HEADER + "1,label,10\n", "csv", 2, "value", "or a class index 0..9, got '10'"),
    (HEADER + "1,thickness,9.5\n", "csv", 2, "value", "expected a number in [1.3, 2.5] (pixels), got 9.5"),
    (HEADER + "1,thickness,nan\n", "csv", 2, "value", "expected a finite number"),
    (HEADER + "1,thickness,-inf\n", "csv", 2, "value", "expected a finite number"),
    (HEADER + "1,thickness,\n", "csv", 2, "value", "expected a finite number"),
    (HEADER + "1,label,3\n\n1,label,4\n", "csv", 4, "value", "item 1 has label = '3' in row 2 and '4' here"),
    (HEADER + "1,label\n", "csv", 2, None, "expected 3 fields"),
    (HEADER + "1,label,3,x\n", "csv", 2, None, "expected 3 fields"),
    ("item,attr,value\n1,label,3\n", "csv", 1, "header", "expected the columns item, attribute, value"),
    ("", "csv", 1, "header", "got []"),
    ('[{"item": 1, "attribute": "label", "value": 3}, {"item": 2, "attribute": "label", "value": 3.0}]', "json",
     2, "value", "got 3.0"),
    ('[{"item": 1, "attribute": "thickness", "value": NaN}]', "json", 1, "value", "finite number"),
    ('[{"item": true, "attribute": "label", "value": 3}]', "json", 1, "item", "got True"),
    ('[{"item": 1, "attribute": 5, "value": 3}]', "json", 1, "attribute", "expected an attribute name"),
    ('[{"item": 1, "attribute": "label", "value": 3}, [2, "label", 3]]', "json", 2, None, "exactly the keys"),
    ('[{"item": 1, "attribute": "label"}]', "json", 1, None, "got ['attribute', 'item']"),
    ('{"item": 1, "attribute": "label", "value": 3}', "json", None, None, "expected a JSON array"),
    ('[{"item": 1, "attribute": "label", "value": 3},\n oops]', "json", None, None, "malformed JSON at line 2"),
    ('{"item": 1, "attribute": "label", "value": 3}\n\n{"item": 1, "attribute": "label", "value": 5}\n', "jsonl",
     3, "value", "in row 1 and '5' here"),
    ('{"item": 1, "attribute": "label", "value": 3}\n{"item": 2,\n', "jsonl", 2, None, "malformed JSON"),
    (b"item,attribute,value\n1,label,\xff\n", "csv", None, None, "not UTF-8"),
]


@pytest.mark.parametrize(("text", "fmt", "row", "field", "words"), BAD)
def test_every_bad_row_names_its_row(digits: Dataset, text: str, fmt: str, row: int | None, field: str | None,
                                     words: str) -> None:
    err = _error(text, fmt, digits)
    assert (err.row, err.field) == (row, field), str(err)
    assert words in err.message, err.message
    assert str(err) == (f"row {row}{', ' + field if field else ''}: {err.message}" if row else err.message)


def test_size_limits(digits: Dataset) -> None:
    rows = HEADER + "".join(f"{i},label,{i % 10}\n" for i in range(20))
    assert parse_label_rows(rows, "csv", digits, max_rows=20).n_labels == 20
    err = _error(rows, "csv", digits, max_rows=19)
    assert err.row == 21 and "more than 19 label rows" in err.message  # the first row over the limit
    err = _error(rows, "csv", digits, max_bytes=len(rows) - 1)
    assert err.row is None and f"is {len(rows)} bytes; expected at most {len(rows) - 1}" in err.message
    lines = "".join(json.dumps({"item": i, "attribute": "label", "value": 1}) + "\n" for i in range(5))
    assert _error(lines, "jsonl", digits, max_rows=4).row == 5


# ------------------------------------------------------------------------------ rows from anywhere


def test_rows_from_any_iterable(digits: Dataset) -> None:
    labels = LabelSet.from_rows(iter([(3, "label", "7"), (np.int64(4), "thickness", 2.0)]), digits)
    assert list(labels.rows()) == [(3, "label", 7), (4, "thickness", 2.0)]
    with pytest.raises(LabelError) as caught:
        LabelSet.from_rows([(3, "label", 7), (4, "label")], digits, first_row=10)
    assert caught.value.row == 11 and "three fields" in caught.value.message


def test_from_arrays_checks_values(digits: Dataset) -> None:
    ok = LabelSet.from_arrays(digits, {"label": (np.array([9, 2]), np.array([1, 5]))})
    np.testing.assert_array_equal(ok.indices("label"), [2, 9])  # sorted by item, values follow
    np.testing.assert_array_equal(ok.values("label"), [5, 1])
    bad = [({"label": (np.array([1, 1]), np.array([2, 3]))}, "distinct items"),
           ({"label": (np.array([1]), np.array([10]))}, "class indices 0..9"),
           ({"label": (np.array([1]), np.array([1.0]))}, "class indices"),
           ({"thickness": (np.array([1]), np.array([np.nan]))}, r"finite numbers in \[1.3, 2.5\]"),
           ({"thickness": (np.array([1, 2]), np.array([2.0]))}, "one value per item")]
    for arrays, words in bad:
        with pytest.raises(ValueError, match=words):
            LabelSet.from_arrays(digits, arrays)


# ------------------------------------------------------------------------------------- merge semantics


def test_later_labels_replace_earlier_ones(digits: Dataset) -> None:
    early = LabelSet.from_rows([(1, "label", 1), (2, "label", 2), (5, "thickness", 2.0)], digits)
    later = LabelSet.from_rows([(2, "label", 9), (3, "label", 3), (7, "thickness", 1.5), (8, "thickness", 1.5)],
                               digits)
    merged = early.merge(later)
    assert list(merged.rows()) == [(1, "label", 1), (2, "label", 9), (3, "label", 3),
                                   (5, "thickness", 2.0), (7, "thickness", 1.5), (8, "thickness", 1.5)]
    assert merged.n_labels == 6 and merged.attributes == ("label", "thickness")
    assert list(early.rows()) == [(1, "label", 1), (2, "label", 2), (5, "thickness", 2.0)]  # unchanged
    assert later.merge(early).values("label").tolist() == [1, 2, 3]  # the other way round, early's value stands
    extended = early.extend([(1, "label", "4"), (6, "label", 6)], digits)
    assert list(extended.rows())[:3] == [(1, "label", 4), (2, "label", 2), (6, "label", 6)]
    new_attribute = LabelSet.from_rows([(1, "thickness", 2.0)], digits).merge(early)
    assert new_attribute.attributes == ("thickness", "label")
    with pytest.raises(ValueError, match="cannot merge"):
        early.merge(reveal(get_dataset("glyphs"), ["label"], 3, seed=0))


def test_label_sets_are_immutable(digits: Dataset) -> None:
    labels = reveal(digits, ["label"], 5, seed=0)
    for array in (labels.indices("label"), labels.values("label")):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1
    with pytest.raises(UnknownAttributeError, match=r"no attribute 'thickness'; expected one of \('label',\)"):
        labels.values("thickness")
    assert repr(labels) == "LabelSet('digits', {label: 5})"
