"""The PNG writer: Pillow (an independent decoder) reads back exactly the pixels it was given."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from backend.png import encode_png


def decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image)


@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 1, 1), (1, 9, 3), (33, 17, 1), (20, 31, 3)])
def test_pillow_reads_back_every_pixel(shape: tuple[int, int, int]) -> None:
    pixels = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    pixels[0, 0] = [255] * shape[-1]  # the Up filter must wrap modulo 256 in both directions
    if shape[0] > 1:
        pixels[1, 0] = [0] * shape[-1]
    data = encode_png(pixels)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.mode == ("L" if shape[-1] == 1 else "RGB")
        assert image.size == (shape[1], shape[0])
    assert np.array_equal(decoded(data).reshape(shape), pixels)


def test_same_pixels_same_bytes_and_flat_images_compress() -> None:
    flat = np.full((200, 300, 1), 200, np.uint8)
    assert encode_png(flat) == encode_png(flat.copy())
    assert len(encode_png(flat)) < 1000  # 60,000 pixels: Up turns every row after the first into zeros


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 2), np.uint8),
                                 np.zeros((4, 4, 1), np.float32), np.zeros((0, 4, 1), np.uint8)])
def test_anything_but_uint8_gray_or_rgb_is_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="expected a non-empty"):
        encode_png(bad)
