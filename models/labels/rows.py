"""Label rows (item, attribute, value) checked against a dataset's attribute schema."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from ..datasets import Attribute, Dataset, UnknownAttributeError
from .errors import LabelError

_INDEX = re.compile(r"[0-9]{1,18}")  # an item index written as text


def check_rows(rows: Iterable[tuple[int, object]], dataset: Dataset) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(row number, (item, attribute, value)) pairs -> {attribute: ((L,) items, (L,) values)} in the dataset's
    attribute order. Each row is checked (``check_row``); a row giving an earlier (item, attribute) another
    value is a LabelError naming both rows (a repeat with the same value counts once)."""
    seen: dict[tuple[str, int], tuple[int | float, int]] = {}  # (attribute, item) -> (value, row)
    for row, fields in rows:
        item, attribute, value = check_row(fields, row, dataset)
        earlier = seen.setdefault((attribute.name, item), (value, row))
        if earlier[0] != value:
            raise LabelError(row, "value", f"item {item} has {attribute.name} = {attribute.format(earlier[0])!r} in "
                             f"row {earlier[1]} and {attribute.format(value)!r} here; expected one value per item "
                             "and attribute")
    return {a.name: _gather(seen, a.name) for a in dataset.attribute_specs() if any(k[0] == a.name for k in seen)}


def _gather(seen: dict[tuple[str, int], tuple[int | float, int]], name: str) -> tuple[np.ndarray, np.ndarray]:
    """(L,) items and (L,) values of attribute ``name`` among the checked labels."""
    labels = [(item, value) for (attribute, item), (value, _) in seen.items() if attribute == name]
    return np.array([i for i, _ in labels], dtype=np.int64), np.array([v for _, v in labels])


def check_row(fields: object, row: int, dataset: Dataset) -> tuple[int, Attribute, int | float]:
    """``(item, attribute, value)`` as given (JSON values or CSV text) -> (item index, the attribute's schema,
    class index or float); LabelError naming ``row`` and the field at fault."""
    if not isinstance(fields, (tuple, list)) or len(fields) != 3:
        raise LabelError(row, None, "expected three fields (item, attribute, value)")
    item, name, value = fields
    index = _item(item, row, len(dataset))
    try:
        attribute = dataset.attribute(name.strip()) if isinstance(name, str) else None
    except UnknownAttributeError as err:
        raise LabelError(row, "attribute", str(err)) from None
    if attribute is None:
        raise LabelError(row, "attribute", f"expected an attribute name (text), got {name!r:.60}")
    try:
        return index, attribute, attribute.parse(value)
    except ValueError as err:
        raise LabelError(row, "value", f"{attribute.name}: {err}") from None


def _item(item: object, row: int, n_items: int) -> int:
    """An item index as an integer or decimal text, in [0, n_items)."""
    if isinstance(item, str) and _INDEX.fullmatch(item.strip()):
        index: int | None = int(item.strip())
    elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
        index = int(item)
    else:
        index = None
    if index is None or not 0 <= index < n_items:
        raise LabelError(row, "item", f"expected an item index 0..{n_items - 1} (an integer), got {item!r:.60}")
    return index
