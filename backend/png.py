"""PNG bytes from uint8 pixels, written directly: the "Up" filter on every row and a fast zlib level.

Pillow chooses a filter per row by trying all five, which alone costs ~7 ms for a 662 x 596 traversal
grid before compression starts (15-19 ms in all at its level 3). One "Up" filter (PNG spec, section 9.2,
filter type 2: each byte minus the byte above it, modulo 256) is a single numpy subtraction, and with
zlib level 1 the same grid takes ~7 ms for ~10% more bytes. Same pixels, same bytes.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPE = {1: 0, 3: 2}  # channels -> PNG colour type: 0 grayscale, 2 truecolour
FILTER_UP = 2
ZLIB_LEVEL = 1


def encode_png(image: np.ndarray) -> bytes:
    """(H, W, 1) gray or (H, W, 3) RGB uint8 -> the bytes of an 8-bit, non-interlaced PNG."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] not in COLOUR_TYPE or 0 in image.shape:
        raise ValueError(f"expected a non-empty (H, W, 1) or (H, W, 3) uint8 array, got {image.dtype} {image.shape}")
    height, width, channels = image.shape
    rows = image.reshape(height, width * channels)
    filtered = np.empty((height, 1 + width * channels), np.uint8)  # each scanline: filter type byte, then bytes
    filtered[:, 0] = FILTER_UP
    filtered[0, 1:] = rows[0]  # the row above the first is zeros
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # uint8 arithmetic wraps modulo 256, as Up does
    header = struct.pack(">IIBBBBB", width, height, 8, COLOUR_TYPE[channels], 0, 0, 0)
    data = zlib.compress(filtered.tobytes(), ZLIB_LEVEL)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    """Length, type, data, CRC-32 of type + data (PNG spec, section 5.3)."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
