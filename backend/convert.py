"""The only place where tensors and arrays become JSON numbers or PNG bytes (and back).

Rendering: grayscale (PNG mode L) or RGB images as they are (values clipped to [0, 1]; small images enlarged by
an integer factor, nearest neighbour); any other item (a feature vector) as a heat strip, one column
block per feature, blue below zero and red above on a fixed scale, so cells compare across requests, with a
dark line where a new feature group starts (grouped data: the joints of a skeleton, a tumour's measurements),
and for humanoid poses a stick figure above the strip (``figures.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from models import DatasetInfo

from .figures import FIGURE_SIZE, figure_cells
from .png import encode_png

MIN_SIDE = 32  # images smaller than this are enlarged (8x8 digits -> 32x32)
GAP = 2  # pixels between grid cells
GAP_VALUE = 200  # light gray gaps: visible around dark and light cells
STRIP_HEIGHT = 12  # heat strip: pixels high, and columns per feature
STRIP_COLUMN = 4
STRIP_SCALE = 3.0  # |value| mapped to full colour (z-scored features)
GROUP_LINE = 60  # gray level of the 1-pixel line between feature groups


class ConversionError(ValueError):
    """Input that cannot become a tensor: the message says what was expected."""


def parse_floats(text: str, field: str) -> list[float]:
    """``"0.5,-1,2e-3"`` -> [0.5, -1.0, 0.002]; finite numbers only."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError as err:
        raise ConversionError(f"{field}: expected comma-separated numbers, got {text[:80]!r}") from err
    if not all(math.isfinite(v) for v in values):
        raise ConversionError(f"{field}: expected finite numbers (no NaN or infinity), got {text[:80]!r}")
    return values


def parse_ints(text: str, field: str) -> list[int]:
    """``"0,3,5"`` -> [0, 3, 5]."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError as err:
        raise ConversionError(f"{field}: expected comma-separated integers, got {text[:80]!r}") from err


def to_tensor(rows: Sequence[Sequence[float]], width: int, field: str) -> torch.Tensor:
    """JSON rows -> (B, width) float32; every row must have ``width`` finite numbers."""
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ConversionError(f"{field}[{i}]: expected {width} numbers (the latent dim), got {len(row)}")
    out = torch.tensor([list(r) for r in rows], dtype=torch.float32).reshape(len(rows), width)
    if not torch.isfinite(out).all():
        bad = int((~torch.isfinite(out)).any(dim=1).nonzero()[0, 0])
        raise ConversionError(f"{field}[{bad}]: expected finite numbers (no NaN or infinity, |x| < 3.4e38)")
    return out


def to_lists(values: torch.Tensor | np.ndarray) -> list:
    """A tensor or array -> nested lists of Python floats (float32 precision kept)."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64).tolist()


def to_int_lists(values: np.ndarray) -> list:
    """An integer array -> nested lists of Python ints."""
    return np.asarray(values, dtype=np.int64).tolist()


def to_numpy(values: torch.Tensor) -> np.ndarray:
    return values.detach().cpu().numpy()


def is_image(shape: Sequence[int]) -> bool:
    """(C, H, W) with one or three channels."""
    return len(shape) == 3 and shape[0] in (1, 3)


def render_cells(outputs: np.ndarray, info: DatasetInfo | None = None) -> np.ndarray:
    """(N, *shape) model outputs or items -> (N, h, w, C) uint8 cells, C = 1 (gray) or 3 (RGB). ``info``
    (the dataset's): vectors get a line between groups, and humanoid poses a stick figure above the strip."""
    if is_image(outputs.shape[1:]):
        return _image_cells(outputs)
    values = outputs.reshape(len(outputs), -1)
    strips = _strip_cells(values, info.group_starts if info else ())
    if info is None or info.extra.get("figure") != "humanoid":
        return strips
    width = max(strips.shape[2], FIGURE_SIZE)
    figures = figure_cells(values, info, width)  # (N, FIGURE_SIZE, width, 3)
    pad = np.full((len(values), STRIP_HEIGHT, width - strips.shape[2], 3), 255, dtype=np.uint8)
    return np.concatenate([figures, np.concatenate([strips, pad], axis=2)], axis=1)


def _image_cells(outputs: np.ndarray) -> np.ndarray:
    """(N, C, H, W) in [0, 1] -> (N, sH, sW, C) uint8, enlarged by s = ceil(MIN_SIDE / H)."""
    scale = max(1, math.ceil(MIN_SIDE / outputs.shape[2]))
    pixels = np.round(np.clip(outputs, 0.0, 1.0) * 255).astype(np.uint8)  # (N, C, H, W)
    pixels = np.repeat(np.repeat(pixels, scale, axis=2), scale, axis=3)
    return np.moveaxis(pixels, 1, -1)  # (N, sH, sW, C)


def _strip_cells(values: np.ndarray, group_starts: Sequence[int]) -> np.ndarray:
    """(N, D) -> (N, STRIP_HEIGHT, D * STRIP_COLUMN + lines, 3): white at 0, blue below, red above, and a
    GROUP_LINE column before each group start in 1..D-1."""
    t = np.clip(values / STRIP_SCALE, -1.0, 1.0)  # (N, D)
    fade = 1.0 - np.abs(t)
    rgb = np.stack([np.where(t < 0, fade, 1.0), fade, np.where(t > 0, fade, 1.0)], axis=-1)  # (N, D, 3)
    pixels = np.round(rgb * 255).astype(np.uint8)
    pixels = np.repeat(pixels, STRIP_COLUMN, axis=1)  # (N, D * col, 3)
    lines = sorted({s * STRIP_COLUMN for s in group_starts if 0 < s < values.shape[1]})
    pixels = np.insert(pixels, lines, GROUP_LINE, axis=1)  # (N, D * col + len(lines), 3)
    return np.repeat(pixels[:, None], STRIP_HEIGHT, axis=1)


def grid_image(cells: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(rows * cols, h, w, C) cells, row-major -> one (H, W, C) image with GAP-pixel gaps."""
    _, h, w, c = cells.shape
    out = np.full((rows * (h + GAP) + GAP, cols * (w + GAP) + GAP, c), GAP_VALUE, dtype=np.uint8)
    for i, cell in enumerate(cells):
        r, c = divmod(i, cols)
        y, x = GAP + r * (h + GAP), GAP + c * (w + GAP)
        out[y : y + h, x : x + w] = cell
    return out


def grid_png(outputs: np.ndarray, rows: int, cols: int, info: DatasetInfo | None = None) -> bytes:
    """(rows * cols, *shape) model outputs or items of the dataset ``info``, row-major -> PNG of the grid."""
    return encode_png(grid_image(render_cells(outputs, info), rows, cols))
