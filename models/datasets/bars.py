"""The synthetic bars of seed 000 (oi-VAE): 8x8 images with one lit row, groups = the 8 rows."""

from __future__ import annotations

import numpy as np

from .attributes import Attribute, attribute_fields
from .base import ArrayDataset, Dataset, DatasetInfo, Group
from .registry import register_dataset

SIDE = 8
N_ITEMS = 2048
LEVEL = 0.5  # value of the lit row
NOISE_STD = 0.05
SEED = 0
SCHEMA = (Attribute.categorical("row", [str(r) for r in range(SIDE)], "the lit row, 0 = top"),)


def make_bars(n: int = N_ITEMS, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """-> images (n, 1, 8, 8) float32 and the lit row of each (n,) int64.

    One numpy Generator seeded with ``seed``: first the rows (uniform over 0..7), then the noise.
    """
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, SIDE, size=n)  # (n,)
    x = rng.normal(0.0, NOISE_STD, size=(n, SIDE, SIDE))  # (n, 8, 8)
    x[np.arange(n), rows, :] += LEVEL
    return x[:, None].astype(np.float32), rows.astype(np.int64)


@register_dataset("bars")
def load() -> Dataset:
    x, rows = make_bars()
    info = DatasetInfo(
        name="bars",
        kind="image",
        shape=(1, SIDE, SIDE),
        n_items=N_ITEMS,
        likelihood="gaussian",
        description="Seed 000's synthetic bars: 8x8 images, one uniformly random row set to 0.5, plus"
        " N(0, 0.05^2) noise; 2,048 images (seed 0); the 8 rows are the groups.",
        factor_names=("row",),
        factor_sizes=(SIDE,),
        **attribute_fields(SCHEMA),
        groups=tuple(Group(f"row{r}", SIDE * r, SIDE * (r + 1)) for r in range(SIDE)),
        extra={"seed": SEED, "level": LEVEL, "noise_std": NOISE_STD},
    )
    return ArrayDataset(info, x, factors=rows[:, None], attributes=rows[:, None], schema=SCHEMA)
