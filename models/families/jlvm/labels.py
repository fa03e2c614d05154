"""The JLVM's labels: the simulated oracle's revealed values (``models.labels.reveal``) as dense per-item tables
over the whole dataset, from which each training batch reads the labels of its items.

A table is checked against the dataset's attribute schema first: every configured attribute must exist there
with the same kind (and, when categorical, the same number of classes), and ``n_labels`` must fit the dataset;
a ConfigError names the config field otherwise (a 422 when a run is created through the API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ...config import ConfigError
from ...datasets import Dataset, UnknownAttributeError
from ...labels import reveal
from ...lens import AttributeSpec

WHERE = "JLVMConfig"


@dataclass(frozen=True)
class LabelTable:
    """Raw values (N,) per attribute (int64 class indices, or float32 where continuous; 0 where unlabelled) and
    the (N,) bool masks saying which items are labelled; N = the dataset's size, on the CPU."""

    values: dict[str, Tensor]
    mask: dict[str, Tensor]

    def batch(self, items: np.ndarray) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """(B,) item indices -> (labels, mask): {attribute: (B,)} each, as ``models.lens.check_labels`` takes them."""
        idx = torch.from_numpy(np.asarray(items, dtype=np.int64))
        return {k: v[idx] for k, v in self.values.items()}, {k: m[idx] for k, m in self.mask.items()}

    @property
    def labelled(self) -> np.ndarray:
        """(L,) sorted indices of the items labelled for at least one attribute."""
        return torch.stack(list(self.mask.values())).any(0).nonzero().squeeze(1).numpy()


def oracle_table(dataset: Dataset, specs: Sequence[AttributeSpec], n: int, seed: int) -> LabelTable:
    """The ground truth of every attribute of ``specs`` for the ``n`` items ``reveal(dataset, names, n, seed)``
    draws (the same items for every attribute), as a LabelTable over all of ``dataset``'s items."""
    check_attributes(dataset, specs)
    if n > len(dataset):
        raise ConfigError(f"{WHERE}.n_labels: expected at most {len(dataset):,} (the size of dataset "
                          f"{dataset.info.name!r}), got {n:,}")
    revealed = reveal(dataset, [s.name for s in specs], n, seed)
    values, mask = {}, {}
    for spec in specs:
        items = torch.from_numpy(np.array(revealed.indices(spec.name)))  # (n,) a writable copy
        column = torch.from_numpy(np.array(revealed.values(spec.name)))  # (n,)
        dtype = torch.int64 if spec.is_categorical else torch.float32
        values[spec.name] = torch.zeros(len(dataset), dtype=dtype, device="cpu").index_copy_(0, items, column.to(dtype))
        mask[spec.name] = torch.zeros(len(dataset), dtype=torch.bool, device="cpu").index_fill_(0, items, True)
    return LabelTable(values, mask)


def check_attributes(dataset: Dataset, specs: Sequence[AttributeSpec]) -> None:
    """ConfigError unless each spec names an attribute of ``dataset`` of its kind (and class count)."""
    for spec in specs:
        try:
            attribute = dataset.attribute(spec.name)
        except UnknownAttributeError as err:
            raise ConfigError(f"{WHERE}.attributes: {err}") from err
        if attribute.kind != spec.kind:
            raise ConfigError(f"{WHERE}.attributes: {spec.name!r} is {attribute.kind} in dataset "
                              f"{dataset.info.name!r}; expected kind {attribute.kind!r}, got {spec.kind!r}")
        if spec.is_categorical and spec.n_classes != len(attribute.classes):
            raise ConfigError(f"{WHERE}.attributes: {spec.name!r} has {len(attribute.classes)} classes in dataset "
                              f"{dataset.info.name!r}; expected n_classes = {len(attribute.classes)}, got "
                              f"{spec.n_classes}")
