"""dSprites, generated on its exact factor grid: 3 shapes x 6 scales x 40 orientations x 32 x 32 positions.

The 720 base sprites (shape, scale, orientation) are drawn once into a 32x32 canvas whose centre is the
sprite's rotation centre; item (..., posX=k, posY=l) is that canvas pasted at column k, row l of a 64x64
black image, so positions are exact one-pixel shifts and nothing is ever clipped (32 + 31 = 63). Items
are built on request from the base sprites; the 737,280 images are never held in memory.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .attributes import Attribute, attribute_fields
from .base import Dataset, DatasetInfo, FactorGrid
from .registry import register_dataset

IMAGE = 64  # output side, pixels
CANVAS = 32  # base-sprite side; 32 positions x 1 px step: offsets 0..31 keep the canvas inside 64
SUPERSAMPLE = 4  # polygons are filled at 4x resolution, then box-averaged and thresholded at 1/2
MAX_RADIUS = 14.0  # px, farthest outline point from the centre at scale 1 (any rotation stays inside)
SHAPES = ("square", "ellipse", "heart")
SCALES = np.linspace(0.5, 1.0, 6)  # (6,)
ORIENTATIONS = np.arange(40) * (2 * np.pi / 40)  # (40,) radians in [0, 2 pi)
N_POS = 32
FACTOR_NAMES = ("shape", "scale", "orientation", "posX", "posY")
FACTOR_SIZES = (len(SHAPES), len(SCALES), len(ORIENTATIONS), N_POS, N_POS)
# one attribute per factor, in its natural unit (the columns of DSprites.attributes)
SCHEMA = (
    Attribute.categorical("shape", SHAPES, "the sprite's shape"),
    Attribute.continuous("scale", SCALES[0], SCALES[-1], f"fraction of the largest sprite ({MAX_RADIUS:g} px radius)",
                         "the sprite's size"),
    Attribute.continuous("orientation", 0.0, 2 * np.pi, "radians, counter-clockwise", "the sprite's rotation"),
    Attribute.continuous("posX", 0.0, 1.0, f"fraction of the {N_POS - 1} px horizontal travel, 0 = left",
                         "the sprite's horizontal position"),
    Attribute.continuous("posY", 0.0, 1.0, f"fraction of the {N_POS - 1} px vertical travel, 0 = top",
                         "the sprite's vertical position"),
)


def _unit_outline(shape: str) -> np.ndarray:
    """(P, 2) outline (x right, y down) centred on 0, farthest point exactly at radius 1."""
    t = np.linspace(0, 2 * np.pi, 256, endpoint=False)  # (P,)
    if shape == "square":
        pts = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    elif shape == "ellipse":
        pts = np.stack([np.cos(t), 0.5 * np.sin(t)], axis=1)  # axes ratio 2:1
    elif shape == "heart":  # the classic heart curve, point down (image y grows downward)
        x = 16 * np.sin(t) ** 3
        y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
        pts = np.stack([x, y], axis=1)
        pts -= (pts.max(axis=0) + pts.min(axis=0)) / 2  # centre the bounding box
    else:
        raise ValueError(shape)
    return pts / np.linalg.norm(pts, axis=1).max()


def _render(outline: np.ndarray, radius: float, angle: float) -> np.ndarray:
    """Unit outline scaled to ``radius`` px and rotated by ``angle`` (counter-clockwise on screen)
    -> (CANVAS, CANVAS) bool mask centred on the canvas centre."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, s], [-s, c]])  # y points down, so this turns the shape counter-clockwise
    pts = (outline @ rot.T) * radius + CANVAS / 2  # (P, 2) in output pixel units (pixel i spans [i, i+1))
    big = CANVAS * SUPERSAMPLE
    img = Image.new("L", (big, big), 0)
    # Pillow puts pixel centres on integer coordinates: continuous u -> u * SUPERSAMPLE - 0.5
    ImageDraw.Draw(img).polygon([tuple(p) for p in pts * SUPERSAMPLE - 0.5], fill=255)
    cover = np.asarray(img, dtype=np.float32).reshape(CANVAS, SUPERSAMPLE, CANVAS, SUPERSAMPLE) / 255
    return cover.mean(axis=(1, 3)) >= 0.5  # (CANVAS, CANVAS)


def build_base_sprites() -> np.ndarray:
    """(3, 6, 40, CANVAS, CANVAS) bool: every (shape, scale, orientation) at the reference position."""
    out = np.zeros((len(SHAPES), len(SCALES), len(ORIENTATIONS), CANVAS, CANVAS), dtype=bool)
    for i, shape in enumerate(SHAPES):
        outline = _unit_outline(shape)
        for j, scale in enumerate(SCALES):
            for k, angle in enumerate(ORIENTATIONS):
                out[i, j, k] = _render(outline, MAX_RADIUS * scale, angle)
    return out


class DSprites(Dataset):
    """A lazy view of the full dSprites grid; item index = ``grid.to_index(factors)``."""

    grid: FactorGrid  # always set: the items are the full grid

    def __init__(self) -> None:
        self.grid = FactorGrid(FACTOR_SIZES)
        self.sprites = build_base_sprites()  # (3, 6, 40, 32, 32) bool, 737 kB
        self._schema = SCHEMA
        self.info = DatasetInfo(
            name="dsprites",
            kind="image",
            shape=(1, IMAGE, IMAGE),
            n_items=self.grid.size,
            likelihood="bernoulli",
            description="dSprites generated on the exact factor grid: 3 shapes, 6 scales, 40 orientations,"
            " 32 x 32 positions (one-pixel steps), 64x64 binary images.",
            factor_names=FACTOR_NAMES,
            factor_sizes=FACTOR_SIZES,
            **attribute_fields(SCHEMA),
            extra={
                "shapes": list(SHAPES),
                "scales": SCALES.tolist(),
                "orientations": ORIENTATIONS.tolist(),
                "positions": (np.arange(N_POS) / (N_POS - 1)).tolist(),
                # Chen et al.'s dSprites MIG leaves shape out (SCIENCE.md section 2).
                "mig_chen_factors": ["scale", "orientation", "posX", "posY"],
            },
        )

    def items(self, indices: np.ndarray) -> np.ndarray:
        f = self.grid.to_factors(indices)  # (B, 5)
        b = len(f)
        sprites = self.sprites[f[:, 0], f[:, 1], f[:, 2]]  # (B, 32, 32)
        rows = f[:, 4, None] + np.arange(CANVAS)  # (B, 32) posY shifts rows
        cols = f[:, 3, None] + np.arange(CANVAS)  # (B, 32) posX shifts columns
        out = np.zeros((b, 1, IMAGE, IMAGE), dtype=np.float32)
        out[np.arange(b)[:, None, None], 0, rows[:, :, None], cols[:, None, :]] = sprites
        return out

    def factors(self, indices: np.ndarray) -> np.ndarray:
        return self.grid.to_factors(indices)

    def attributes(self, indices: np.ndarray) -> np.ndarray:
        """(B, 5): shape id, scale in [0.5, 1], orientation in radians, posX and posY in [0, 1]."""
        f = self.grid.to_factors(indices)
        return np.stack(
            [f[:, 0], SCALES[f[:, 1]], ORIENTATIONS[f[:, 2]], f[:, 3] / (N_POS - 1), f[:, 4] / (N_POS - 1)],
            axis=1,
        ).astype(np.float64)


@register_dataset("dsprites")
def load() -> Dataset:
    return DSprites()
