"""MNIST-like 28x28 digits drawn with Pillow's bundled font on a full grid of known style factors.

Factors: digit (10) x stroke width (5) x slant (5) x scale (5) x rotation (5) = 6,250 images. Each glyph
is drawn at 4x resolution with font size ``REF_SIZE * scale`` and Pillow's ``stroke_width`` (an outline
of that many output pixels added on each side of the font's own strokes, so it does not grow with
scale), centred by its ink bounding box, sheared (slant), rotated about the centre, then box-averaged
down to 28x28 grey levels in [0, 1]. Items are rendered on first request and kept in memory.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .attributes import Attribute, attribute_fields
from .base import Dataset, DatasetInfo, FactorGrid
from .registry import register_dataset

SIDE = 28  # output side, pixels
SUPERSAMPLE = 4
REF_SIZE = 24.0  # font size (output px) at scale 1: digits are then ~17.5 px tall before styling
DIGITS = np.arange(10)
STROKE_WIDTHS = np.array([0.0, 0.3, 0.6, 0.9, 1.2])  # px added on each side of the strokes
SLANTS = np.array([-0.3, -0.15, 0.0, 0.15, 0.3])  # horizontal shear dx = -slant * dy; > 0 leans right
SCALES = np.array([0.6, 0.7, 0.8, 0.9, 1.0])  # font size / REF_SIZE
ROTATIONS = np.array([-20.0, -10.0, 0.0, 10.0, 20.0])  # degrees, counter-clockwise on screen
FACTOR_NAMES = ("digit", "stroke_width", "slant", "scale", "rotation")
FACTOR_VALUES = (DIGITS, STROKE_WIDTHS, SLANTS, SCALES, ROTATIONS)
FACTOR_SIZES = tuple(len(v) for v in FACTOR_VALUES)
UNITS = {
    "stroke_width": "output pixels added on each side of the font's strokes",
    "slant": "horizontal shear dx = -slant * dy (y down): > 0 leans right",
    "scale": f"font size / {REF_SIZE} px",
    "rotation": "degrees, counter-clockwise",
}
# one attribute per factor, valued as rendered: the digit's class, then the true style values (FACTOR_VALUES)
SCHEMA = (
    Attribute.categorical("label", [str(d) for d in DIGITS], "the digit drawn"),
    *(Attribute.continuous(name, values.min(), values.max(), UNITS[name],
                           f"the {name.replace('_', ' ')} the digit is drawn with")
      for name, values in zip(FACTOR_NAMES[1:], FACTOR_VALUES[1:], strict=True)),
)


@lru_cache(maxsize=len(DIGITS) * len(STROKE_WIDTHS) * len(SCALES))
def _glyph(digit: int, stroke: int, scale: int) -> tuple[Image.Image, tuple[float, float]]:
    """Factor indices -> the upright glyph at 4x ("L" image) and the centre of its ink bounding box."""
    big = SIDE * SUPERSAMPLE * 2
    font = ImageFont.load_default(size=REF_SIZE * SCALES[scale] * SUPERSAMPLE)
    sw = float(STROKE_WIDTHS[stroke] * SUPERSAMPLE)
    img = Image.new("L", (big, big), 0)
    ImageDraw.Draw(img).text(
        (big / 2, big / 2),
        str(DIGITS[digit]),
        font=font,
        fill=255,
        anchor="mm",
        stroke_width=sw,
        stroke_fill=255,
    )
    box = img.getbbox()  # ink extent (None: no ink); pixel i spans [i, i+1)
    if box is None:
        raise ValueError(f"glyph {DIGITS[digit]} drew no ink (stroke {stroke}, scale {scale})")
    x0, y0, x1, y1 = box
    return img, ((x0 + x1) / 2, (y0 + y1) / 2)


def render(factors: np.ndarray) -> np.ndarray:
    """(5,) factor indices -> (28, 28) float32 in [0, 1]."""
    digit, stroke, slant, scale, rotation = (int(v) for v in factors)
    img, (cx, cy) = _glyph(digit, stroke, scale)
    s, t = SLANTS[slant], np.deg2rad(ROTATIONS[rotation])
    # forward map about the centre: p' = R S p with S = [[1, -s], [0, 1]] (y down) and R turning
    # counter-clockwise on screen; Pillow wants the inverse, output pixel -> input pixel
    inv_rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    inv = np.array([[1.0, s], [0.0, 1.0]]) @ inv_rot  # (2, 2)
    out_c = SIDE * SUPERSAMPLE / 2
    offset = np.array([cx, cy]) - inv @ np.array([out_c, out_c])
    coeffs = (inv[0, 0], inv[0, 1], offset[0], inv[1, 0], inv[1, 1], offset[1])
    size = (SIDE * SUPERSAMPLE, SIDE * SUPERSAMPLE)
    warped = img.transform(size, Image.Transform.AFFINE, coeffs, resample=Image.Resampling.BILINEAR)
    small = np.asarray(warped, dtype=np.float32).reshape(SIDE, SUPERSAMPLE, SIDE, SUPERSAMPLE)
    return small.mean(axis=(1, 3)) / 255.0  # (28, 28)


class Glyphs(Dataset):
    """The glyph grid; item index = ``grid.to_index(factors)``; images rendered lazily, then cached."""

    grid: FactorGrid  # always set: the items are the full grid

    def __init__(self) -> None:
        self.grid = FactorGrid(FACTOR_SIZES)
        n = self.grid.size
        self._cache = np.zeros((n, 1, SIDE, SIDE), dtype=np.float32)  # (6250, 1, 28, 28), 19.6 MB
        self._done = np.zeros(n, dtype=bool)  # (6250,) which rows of the cache are rendered
        self._lock = threading.Lock()  # the API may serve items from several threads
        self._schema = SCHEMA
        self.info = DatasetInfo(
            name="glyphs",
            kind="image",
            shape=(1, SIDE, SIDE),
            n_items=n,
            likelihood="bernoulli",
            description="MNIST-like 28x28 digits drawn with Pillow's bundled font (Aileron) on a full grid:"
            " 10 digits x 5 stroke widths x 5 slants x 5 scales x 5 rotations, with the true values.",
            factor_names=FACTOR_NAMES,
            factor_sizes=FACTOR_SIZES,
            **attribute_fields(SCHEMA),
            extra={
                "factor_values": {k: v.tolist() for k, v in zip(FACTOR_NAMES, FACTOR_VALUES, strict=True)},
                "units": UNITS,
            },
        )

    def items(self, indices: np.ndarray) -> np.ndarray:
        f = self.grid.to_factors(indices)  # (B, 5), also checks the range
        idx = self.grid.to_index(f)  # (B,)
        with self._lock:
            for i in np.unique(idx[~self._done[idx]]):
                self._cache[i, 0] = render(self.grid.to_factors(np.array([i]))[0])
                self._done[i] = True
        return self._cache[idx]  # (B, 1, 28, 28) copy

    def factors(self, indices: np.ndarray) -> np.ndarray:
        return self.grid.to_factors(indices)

    def attributes(self, indices: np.ndarray) -> np.ndarray:
        """(B, 5): digit, stroke width (px), slant (shear), scale, rotation (degrees): true values."""
        f = self.grid.to_factors(indices)
        cols = [values[f[:, j]] for j, values in enumerate(FACTOR_VALUES)]
        return np.stack(cols, axis=1).astype(np.float64)


@register_dataset("glyphs")
def load() -> Dataset:
    return Glyphs()
