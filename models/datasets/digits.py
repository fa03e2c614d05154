"""scikit-learn's bundled handwritten digits (1,797 x 8x8) with a computed stroke thickness."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

from .attributes import Attribute, attribute_fields
from .base import ArrayDataset, Dataset, DatasetInfo
from .registry import register_dataset


def stroke_thickness(images: np.ndarray) -> np.ndarray:
    """(N, H, W) intensities in [0, 1] -> (N,) mean stroke thickness in pixels.

    A stroke of width w and length L has area A = w L and outline length P ~ 2 L, so w ~ 2 A / P
    (Morpho-MNIST's area / length, with the length read off the outline instead of a skeleton, which
    an 8x8 image is too coarse to give). A is the ink mass (sum of intensities); P is the total
    variation, sum |grad I| with central differences on the zero-padded image, which for a binary
    shape equals its perimeter and for grey edges counts each edge by its contrast.
    """
    padded = np.pad(np.asarray(images, dtype=np.float64), ((0, 0), (1, 1), (1, 1)))  # (N, H+2, W+2)
    gy, gx = np.gradient(padded, axis=(1, 2))  # (N, H+2, W+2) each
    perimeter = np.hypot(gx, gy).sum(axis=(1, 2))  # (N,)
    mass = padded.sum(axis=(1, 2))  # (N,)
    return 2 * mass / np.maximum(perimeter, 1e-9)


def schema(thickness: np.ndarray) -> tuple[Attribute, ...]:
    """The digit class, and the thickness ((N,) pixels) over its observed range widened to 0.1 px steps."""
    lo, hi = np.floor(thickness.min() * 10) / 10, np.ceil(thickness.max() * 10) / 10
    return (
        Attribute.categorical("label", [str(d) for d in range(10)], "the digit written"),
        Attribute.continuous("thickness", lo, hi, "pixels", "mean stroke thickness: 2 x ink mass / outline length"),
    )


@register_dataset("digits")
def load() -> Dataset:
    bunch = load_digits()
    x = np.asarray(bunch.images, dtype=np.float64) / 16.0  # (1797, 8, 8) in [0, 1]
    labels = np.asarray(bunch.target, dtype=np.int64)  # (1797,)
    thickness = stroke_thickness(x)  # (1797,)
    attributes = np.stack([labels, thickness], axis=1)  # (1797, 2)
    attribute_schema = schema(thickness)
    info = DatasetInfo(
        name="digits",
        kind="image",
        shape=(1, 8, 8),
        n_items=len(x),
        likelihood="bernoulli",
        description="scikit-learn's handwritten digits (UCI optdigits test set): 1,797 8x8 images,"
        " pixel counts / 16 in [0, 1]; thickness = 2 x ink mass / outline length (pixels).",
        factor_names=("label",),
        factor_sizes=(10,),
        **attribute_fields(attribute_schema),
        extra={"thickness": "2 * sum(I) / sum(|grad I|), central differences, zero padding; pixels"},
    )
    return ArrayDataset(info, x[:, None], factors=labels[:, None], attributes=attributes, schema=attribute_schema)
