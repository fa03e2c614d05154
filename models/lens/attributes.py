"""Side-information attributes as the lens sees them, and a batch's labels checked against them.

Every part of the lens works in *model units*: a categorical attribute is a class index 0..C-1 (one-hot in
the recognition network's input), a continuous one is its standardised value (value - mean) / std, with the
(mean, std) the spec states (e.g. those of the labelled values). ``AttributeSpec.to_model``/``from_model``
convert continuous values; labels arrive in raw units and predictions leave in raw units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from ..config import require

AttributeKind = Literal["categorical", "continuous"]


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute: a categorical one with ``n_classes`` classes, or a continuous one standardised with
    (``mean``, ``std``). Build with ``AttributeSpec.categorical`` or ``AttributeSpec.continuous``."""

    name: str
    kind: AttributeKind
    n_classes: int = 0
    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self) -> None:
        require(bool(self.name), "expected a non-empty attribute name", "name")
        if self.kind == "categorical":
            require(self.n_classes >= 2, f"attribute {self.name!r}: expected n_classes >= 2, got {self.n_classes}",
                    "n_classes")
            require((self.mean, self.std) == (0.0, 1.0),
                    f"attribute {self.name!r}: a categorical attribute has no mean/std", "mean")
        else:
            require(self.kind == "continuous",
                    f"attribute {self.name!r}: kind must be categorical or continuous, got {self.kind!r}", "kind")
            require(self.n_classes == 0, f"attribute {self.name!r}: a continuous attribute has no classes",
                    "n_classes")
            require(self.std > 0, f"attribute {self.name!r}: expected std > 0, got {self.std}", "std")

    @classmethod
    def categorical(cls, name: str, n_classes: int) -> AttributeSpec:
        return cls(name, "categorical", n_classes=n_classes)

    @classmethod
    def continuous(cls, name: str, mean: float, std: float) -> AttributeSpec:
        return cls(name, "continuous", mean=float(mean), std=float(std))

    @property
    def is_categorical(self) -> bool:
        return self.kind == "categorical"

    @property
    def width(self) -> int:
        """Columns this attribute takes in the recognition input: C (one-hot) or 1 (standardised value)."""
        return self.n_classes if self.is_categorical else 1

    def to_model(self, values: Tensor) -> Tensor:
        """Raw continuous values (...) -> standardised (...)."""
        return (values - self.mean) / self.std

    def from_model(self, values: Tensor) -> Tensor:
        """Standardised continuous values (...) -> raw units (...)."""
        return values * self.std + self.mean


@dataclass(frozen=True)
class LabelBatch:
    """The labels of B items in model units: ``values[name]`` (B,) int64 class indices or float standardised
    values (0 where unlabelled) and ``mask[name]`` (B,) bool (True: labelled), for every attribute of the lens."""

    values: dict[str, Tensor]
    mask: dict[str, Tensor]


def check_labels(specs: Sequence[AttributeSpec], labels: Mapping[str, Tensor] | None,
                 mask: Mapping[str, Tensor] | None, z: Tensor) -> LabelBatch:
    """Raw labels and masks of the B items of ``z`` (B, D) -> a LabelBatch on z's device.

    ``labels``/``mask`` hold the same attribute names, each a (B,) tensor (categorical: integer class indices,
    continuous: finite floats where labelled; values where the bool mask is False are ignored). An attribute
    left out, or both arguments None, is unlabelled everywhere. ValueError says what was expected.
    """
    if (labels is None) != (mask is None):
        raise ValueError("expected labels and mask together (both None: no item labelled)")
    labels, mask = labels or {}, mask or {}
    known = [s.name for s in specs]
    if set(labels) != set(mask):
        raise ValueError(f"expected a mask for each labelled attribute and no other; labels have {sorted(labels)}, "
                         f"masks have {sorted(mask)}")
    unknown = sorted(set(labels) - set(known))
    if unknown:
        raise ValueError(f"unknown attribute(s) {unknown}; expected some of {known}")
    batch = z.shape[0]
    values: dict[str, Tensor] = {}
    masks: dict[str, Tensor] = {}
    for spec in specs:
        if spec.name in labels:
            values[spec.name], masks[spec.name] = _checked(spec, labels[spec.name], mask[spec.name], batch, z.device)
        else:
            dtype = torch.int64 if spec.is_categorical else z.dtype
            values[spec.name] = torch.zeros(batch, dtype=dtype, device=z.device)
            masks[spec.name] = torch.zeros(batch, dtype=torch.bool, device=z.device)
    return LabelBatch(values, masks)


def _checked(spec: AttributeSpec, values: Tensor, mask: Tensor, batch: int,
             device: torch.device) -> tuple[Tensor, Tensor]:
    """One attribute's (B,) raw values and (B,) bool mask -> (values in model units, mask), both on ``device``."""
    for what, t in (("labels", values), ("mask", mask)):
        if not isinstance(t, Tensor) or t.shape != (batch,):
            shape = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"{what}[{spec.name!r}]: expected a tensor of shape ({batch},), got {shape}")
    if mask.dtype != torch.bool:
        raise ValueError(f"mask[{spec.name!r}]: expected a bool tensor, got {mask.dtype}")
    values, mask = values.to(device), mask.to(device)
    if spec.is_categorical:
        if values.is_floating_point() or values.is_complex() or values.dtype == torch.bool:
            raise ValueError(f"labels[{spec.name!r}]: expected integer class indices, got {values.dtype}")
        bad = mask & ((values < 0) | (values >= spec.n_classes))
        if bad.any():
            i = int(bad.nonzero()[0, 0])
            raise ValueError(f"labels[{spec.name!r}][{i}]: expected a class index 0..{spec.n_classes - 1}, "
                             f"got {int(values[i])}")
        return torch.where(mask, values.long(), 0), mask
    if not values.is_floating_point():
        raise ValueError(f"labels[{spec.name!r}]: expected float values, got {values.dtype}")
    bad = mask & ~torch.isfinite(values)
    if bad.any():
        i = int(bad.nonzero()[0, 0])
        raise ValueError(f"labels[{spec.name!r}][{i}]: expected a finite value, got {float(values[i])}")
    return torch.where(mask, spec.to_model(values), 0.0), mask


def encode_side(specs: Sequence[AttributeSpec], values: Mapping[str, Tensor], dtype: torch.dtype) -> Tensor:
    """Model-unit values of every attribute, each (E,) -> the recognition input (E, S), S = sum of widths:
    one-hot columns for a categorical attribute, its standardised value for a continuous one."""
    columns = [F.one_hot(values[s.name], s.n_classes).to(dtype) if s.is_categorical
               else values[s.name].to(dtype).unsqueeze(-1) for s in specs]
    return torch.cat(columns, dim=-1)
