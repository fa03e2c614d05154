"""Sprite sheets (GET /datasets/{name}/sprites/{page}.png, issue 20 item 5): cell i % 1024 of page i // 1024 is the
item at sample position i, pixel for pixel its item PNG (digits at cell 32) or its heat strip fitted into the cell
(breast_cancer's feature vectors); pages beyond the sample are 404s, bad queries 422s; ETags and immutable caching."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from app_client import AppClient as TestClient
from PIL import Image

from backend.convert import GAP
from backend.services.analysis import sample_items
from models import get_dataset

API = "/api/v1"


def image(response: Any) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return np.asarray(Image.open(io.BytesIO(response.content)))


def item_pixels(client: TestClient, name: str, index: int) -> np.ndarray:
    """The item PNG's one cell, without the grid's gap around it."""
    full = image(client.get(f"{API}/datasets/{name}/items/{index}.png"))
    return full[GAP:-GAP, GAP:-GAP]


def cell_of(sheet: np.ndarray, position: int, cell: int) -> np.ndarray:
    r, c = divmod(position % 1024, 32)
    return sheet[r * cell : (r + 1) * cell, c * cell : (c + 1) * cell]


def test_each_cell_is_its_items_png(client: TestClient) -> None:
    index = sample_items(get_dataset("digits"), 1500, 7)  # 1,500 positions: page 0 full, page 1 has 476
    first = image(client.get(f"{API}/datasets/digits/sprites/0.png?n=1500&seed=7"))
    second = image(client.get(f"{API}/datasets/digits/sprites/1.png?n=1500&seed=7&cell=32"))
    assert first.shape == (32 * 32, 32 * 32) and second.shape == (15 * 32, 32 * 32)  # gray; 476 cells: 15 rows
    for position in (0, 1, 31, 32, 555, 1023, 1024, 1100, 1499):
        sheet = first if position < 1024 else second
        np.testing.assert_array_equal(cell_of(sheet, position, 32), item_pixels(client, "digits", int(index[position])))
    assert (cell_of(second, 1500, 32) == 255).all()  # after the last item: background


def test_a_smaller_cell_samples_the_item(client: TestClient) -> None:
    index = sample_items(get_dataset("digits"), 40, 0)
    sheet = image(client.get(f"{API}/datasets/digits/sprites/0.png?n=40&cell=16"))
    assert sheet.shape == (2 * 16, 32 * 16)
    full = item_pixels(client, "digits", int(index[33]))  # 32 x 32: every other pixel, at pixel centres
    np.testing.assert_array_equal(cell_of(sheet, 33, 16), full[1::2, 1::2])


def test_feature_vectors_are_heat_strips_fitted_into_the_cell(client: TestClient) -> None:
    index = sample_items(get_dataset("breast_cancer"), 50, 0)
    sheet = image(client.get(f"{API}/datasets/breast_cancer/sprites/0.png?n=50&cell=64"))
    assert sheet.shape == (2 * 64, 32 * 64, 3)
    strip = item_pixels(client, "breast_cancer", int(index[5]))  # (12, width, 3)
    cell = cell_of(sheet, 5, 64)
    scale = 64 / strip.shape[1]
    height = round(strip.shape[0] * scale)
    top = (64 - height) // 2
    assert (cell[:top] == 255).all() and (cell[top + height :] == 255).all()  # white above and below the strip
    middle = cell[top + height // 2]  # (64, 3): the strip's colours along one row
    columns = ((np.arange(64) + 0.5) / scale).astype(int)
    np.testing.assert_array_equal(middle, strip[strip.shape[0] // 2, columns])


def test_etag_and_immutable_caching(client: TestClient) -> None:
    url = f"{API}/datasets/digits/sprites/0.png?n=100&seed=1"
    first = client.get(url)
    assert "immutable" in first.headers["cache-control"]
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get(f"{url}&cell=33").headers["etag"] != first.headers["etag"]
    assert client.get(f"{API}/datasets/digits/sprites/0.png?n=100&seed=2").headers["etag"] != first.headers["etag"]


@pytest.mark.parametrize(("url", "status", "words"), [
    ("digits/sprites/2.png?n=1797", 404, ["has 2 sprite pages", "below 2"]),
    ("digits/sprites/2.png?n=5000", 404, ["has 2 sprite pages"]),  # n over the dataset: every item, 2 pages
    ("nope/sprites/0.png?n=10", 404, ["nope"]),
    ("digits/sprites/0.png?n=10&cell=15", 422, ["cell", "greater than or equal to 16"]),
    ("digits/sprites/0.png?n=10&cell=65", 422, ["cell", "less than or equal to 64"]),
    ("digits/sprites/0.png?n=1", 422, ["n"]),
    ("digits/sprites/0.png", 422, ["n", "Field required"]),
    ("digits/sprites/0.png?n=1000001", 422, ["max_projection_n"]),
    ("digits/sprites/-1.png?n=10", 422, ["page"]),
    ("digits/sprites/0.png?n=10&seed=x", 422, ["seed"]),
])
def test_refusals(client: TestClient, problem: Callable[..., Any], url: str, status: int, words: list[str]) -> None:
    problem(client.get(f"{API}/datasets/{url}"), status, *words)
