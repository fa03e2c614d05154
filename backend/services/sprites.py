"""Sprite sheets: the thumbnails of 1,024 sample positions in one PNG, so that a page showing an embedding of many
points fetches a few images and crops the cell of the point under the pointer.

Page p holds sample positions [p * 1024, (p + 1) * 1024) of ``analysis.sample_items(dataset, n, seed)`` (the items
of GET .../embedding and of a projection with that n and seed), row-major in SPRITE_COLUMNS columns of ``cell`` x
``cell`` pixels and no gaps: position i is cell i % 1024 of page i // 1024, at column (i % 1024) % 32 and row
(i % 1024) // 32. Each item is rendered as its item PNG renders it (``convert.render_cells``: images, or heat strips
for feature vectors), then fitted into its cell keeping its aspect ratio (nearest-neighbour resampling at pixel
centres), centred on white.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from models import DatasetInfo, get_dataset

from ..convert import render_cells
from ..png import encode_png
from .analysis import sample_items

SPRITE_PAGE = 1024  # sample positions per sheet
SPRITE_COLUMNS = 32
BACKGROUND = 255  # white around a thumbnail narrower or lower than its cell


@lru_cache(maxsize=8)
def sample(name: str, n: int, seed: int) -> np.ndarray:
    """``analysis.sample_items`` of dataset ``name``, kept for the next pages (read-only)."""
    index = sample_items(get_dataset(name), n, seed)
    index.flags.writeable = False
    return index


def page_items(name: str, n: int, seed: int, page: int) -> np.ndarray | None:
    """The dataset indices of sample positions on ``page``; None when the page is beyond the sample."""
    index = sample(name, n, seed)
    start = page * SPRITE_PAGE
    return index[start : start + SPRITE_PAGE] if start < len(index) else None


def page_digest(items: np.ndarray) -> str:
    """sha256 of a page's item values: what its sheet shows (for the ETag)."""
    return hashlib.sha256(np.ascontiguousarray(items).tobytes()).hexdigest()


def sprite_png(items: np.ndarray, info: DatasetInfo, cell: int) -> bytes:
    """The PNG of the (ceil(M / 32) * cell, 32 * cell) sheet of M items of the dataset ``info`` describes."""
    thumbs = fit_cells(render_cells(items, info), cell)  # (M, cell, cell, C)
    rows = -(-len(thumbs) // SPRITE_COLUMNS)
    sheet = np.full((rows * cell, SPRITE_COLUMNS * cell, thumbs.shape[-1]), BACKGROUND, dtype=np.uint8)
    for i, thumb in enumerate(thumbs):
        r, c = divmod(i, SPRITE_COLUMNS)
        sheet[r * cell : (r + 1) * cell, c * cell : (c + 1) * cell] = thumb
    return encode_png(sheet)


def fit_cells(cells: np.ndarray, cell: int) -> np.ndarray:
    """(M, h, w, C) -> (M, cell, cell, C): scaled by min(cell / h, cell / w) (nearest pixel centre), centred."""
    _, h, w, channels = cells.shape
    scale = min(cell / h, cell / w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    rows = ((np.arange(new_h) + 0.5) * h / new_h).astype(int)  # the source pixel under each target pixel's centre
    cols = ((np.arange(new_w) + 0.5) * w / new_w).astype(int)
    out = np.full((len(cells), cell, cell, channels), BACKGROUND, dtype=np.uint8)
    top, left = (cell - new_h) // 2, (cell - new_w) // 2
    out[:, top : top + new_h, left : left + new_w] = cells[:, rows][:, :, cols]
    return out
