"""Side-information attributes: what each one means (its schema) and how a raw value is read against it.

An attribute is categorical (a class index 0..C-1, each class named) or continuous (a float in the closed
range [lo, hi], in a stated unit). Datasets describe theirs with ``Attribute``; label sets
(``models.labels``) check every labelled value with ``Attribute.parse``.

A categorical value may be given as a class name or as a class index. A string that is a class name is
that class, even where it also reads as an index (names win): so writing class names always reads back
to the same class. Only a string that is no class name is read as an index.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import numpy as np

AttributeKind = Literal["categorical", "continuous"]
_INDEX = re.compile(r"[0-9]{1,18}")  # a class index written as text
_SHOWN_CLASSES = 12  # class names quoted in an error message


class AttributeFields(TypedDict):
    """DatasetInfo's two attribute fields (``DatasetInfo(..., **attribute_fields(schema))``)."""

    attribute_names: tuple[str, ...]
    attribute_kinds: tuple[AttributeKind, ...]


class UnknownAttributeError(KeyError):
    """An attribute name that the dataset (or label set) does not have; the message lists those it has."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Attribute:
    """One attribute's schema. Categorical: ``classes`` names class index i; continuous: ``lo <= value <= hi``
    in ``unit``. Build with ``Attribute.categorical`` or ``Attribute.continuous``."""

    name: str
    kind: AttributeKind
    description: str
    classes: tuple[str, ...] = ()
    lo: float | None = None
    hi: float | None = None
    unit: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "categorical":
            if len(self.classes) < 2 or len(set(self.classes)) != len(self.classes):
                raise ValueError(f"attribute {self.name!r}: expected at least 2 distinct class names")
            if (self.lo, self.hi, self.unit) != (None, None, None):
                raise ValueError(f"attribute {self.name!r}: a categorical attribute has no range or unit")
        elif self.kind == "continuous":
            if self.classes or self.lo is None or self.hi is None or self.unit is None:
                raise ValueError(f"attribute {self.name!r}: a continuous attribute has lo, hi, a unit, no classes")
            if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo <= self.hi):
                raise ValueError(f"attribute {self.name!r}: expected finite lo <= hi, got [{self.lo}, {self.hi}]")
        else:
            raise ValueError(f"attribute {self.name!r}: kind must be categorical or continuous, got {self.kind!r}")

    @classmethod
    def categorical(cls, name: str, classes: Sequence[str], description: str) -> Attribute:
        return cls(name, "categorical", description, classes=tuple(str(c) for c in classes))

    @classmethod
    def continuous(cls, name: str, lo: float, hi: float, unit: str, description: str) -> Attribute:
        return cls(name, "continuous", description, lo=float(lo), hi=float(hi), unit=unit)

    @property
    def dtype(self) -> type[np.generic]:
        """int64 (class indices) for a categorical attribute, float64 for a continuous one."""
        return np.int64 if self.kind == "categorical" else np.float64

    def parse(self, value: object) -> int | float:
        """A raw value (a JSON number or string, or CSV text) -> its class index or float; ValueError saying
        what was expected when it does not fit the schema."""
        return self._parse_class(value) if self.kind == "categorical" else self._parse_number(value)

    def format(self, value: float) -> str | float:
        """The inverse of ``parse`` for writing labels out: a class name, or the float itself."""
        return self.classes[int(value)] if self.kind == "categorical" else float(value)

    def to_json(self) -> dict[str, Any]:
        categorical = self.kind == "categorical"
        return {"name": self.name, "kind": self.kind, "description": self.description,
                "classes": list(self.classes) if categorical else None, "lo": self.lo, "hi": self.hi, "unit": self.unit}

    def _parse_class(self, value: object) -> int:
        if isinstance(value, str):
            text = value.strip()
            if text in self.classes:
                return self.classes.index(text)
            index = int(text) if _INDEX.fullmatch(text) else None
        else:
            index = int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else None
        if index is None or not 0 <= index < len(self.classes):
            raise ValueError(f"expected a class name ({_quoted(self.classes)}) or a class index "
                             f"0..{len(self.classes) - 1}, got {_shown(value)}")
        return index

    def _parse_number(self, value: object) -> float:
        try:
            number = float(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = None
        if isinstance(value, bool) or number is None or not math.isfinite(number):
            raise ValueError(f"expected a finite number in [{self.lo}, {self.hi}] ({self.unit}), got {_shown(value)}")
        if not self.lo <= number <= self.hi:  # type: ignore[operator]
            raise ValueError(f"expected a number in [{self.lo}, {self.hi}] ({self.unit}), got {number}")
        return number


def attribute_fields(attributes: Sequence[Attribute]) -> AttributeFields:
    """DatasetInfo's ``attribute_names`` and ``attribute_kinds``, read off the attributes' schemas."""
    return {"attribute_names": tuple(a.name for a in attributes),
            "attribute_kinds": tuple(a.kind for a in attributes)}


def find_attribute(attributes: Sequence[Attribute], name: str, owner: str) -> tuple[int, Attribute]:
    """(position, schema) of the attribute called ``name``; UnknownAttributeError naming what ``owner`` has."""
    for j, attribute in enumerate(attributes):
        if attribute.name == name:
            return j, attribute
    raise UnknownAttributeError(f"{owner} has no attribute {_shown(name)}; expected one of "
                                f"{[a.name for a in attributes]}")


def _quoted(classes: Sequence[str]) -> str:
    shown = ", ".join(repr(c) for c in classes[:_SHOWN_CLASSES])
    return shown + (f", ... ({len(classes)} in all)" if len(classes) > _SHOWN_CLASSES else "")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"
