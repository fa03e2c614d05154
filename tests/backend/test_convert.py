"""Rendering items as PNG cells: images as they are, vectors as heat strips with a line between groups."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from backend.convert import GROUP_LINE, STRIP_COLUMN, STRIP_HEIGHT, render_cells
from backend.figures import FIGURE_SIZE
from models.datasets import DatasetInfo, Group, get_dataset


def grouped(n_features: int, starts: tuple[int, ...]) -> DatasetInfo:
    """A vector dataset's info whose groups begin at ``starts``."""
    stops = (*starts[1:], n_features)
    return DatasetInfo("g", "grouped_vector", (n_features,), 1, "gaussian", "test",
                       groups=tuple(Group(f"g{i}", a, b) for i, (a, b) in enumerate(zip(starts, stops, strict=True))))


def test_a_vector_strip_has_one_line_before_each_group_but_the_first() -> None:
    values = np.zeros((2, 10))
    values[:, 3:6] = 3.0  # the middle group at full red
    cells = render_cells(values, grouped(10, (0, 3, 6)))  # (2, h, 10 * col + 2, 3)
    assert cells.shape == (2, STRIP_HEIGHT, 10 * STRIP_COLUMN + 2, 3)
    row = cells[0, 0]  # (w, 3)
    first_line, second_line = 3 * STRIP_COLUMN, 6 * STRIP_COLUMN + 1
    assert (row[[first_line, second_line]] == GROUP_LINE).all()
    assert (row[:first_line] == 255).all()  # zeros are white
    assert (row[first_line + 1 : second_line] == [255, 0, 0]).all()  # +3 sd is full red
    assert (row[second_line + 1 :] == 255).all()


def test_without_groups_a_strip_is_plain_and_images_ignore_groups() -> None:
    assert render_cells(np.zeros((1, 10))).shape == (1, STRIP_HEIGHT, 10 * STRIP_COLUMN, 3)
    image = np.random.default_rng(0).random((1, 1, 8, 8))
    np.testing.assert_array_equal(render_cells(image, grouped(64, (0, 8))), render_cells(image))


@pytest.mark.extra("mocap")
def test_humanoid_poses_get_a_stick_figure_above_their_strip() -> None:
    info = get_dataset("humanoid_mocap").info
    values = get_dataset("humanoid_mocap").items(np.arange(2))  # (2, 43) z-scored
    cells = render_cells(values, info)
    strip_width = 43 * STRIP_COLUMN + 13  # 14 joint groups: 13 lines
    assert cells.shape == (2, FIGURE_SIZE + STRIP_HEIGHT, strip_width, 3)
    np.testing.assert_array_equal(cells[:, FIGURE_SIZE:], render_cells(values, replace(info, extra={})))
    figure = cells[0, :FIGURE_SIZE].reshape(-1, 3)
    assert {(200, 40, 40), (40, 80, 200)} <= set(map(tuple, figure))  # right limbs red, left blue


def test_image_values_are_clipped_to_0_1_and_small_images_enlarged_to_at_least_32_pixels() -> None:
    # A Gaussian decoder's mean may step outside [0, 1] (bars): clipped, never wrapped around uint8.
    cells = render_cells(np.array([-0.02, 0.5, 1.03]).reshape(1, 1, 1, 3))  # (1, 32, 96, 1): 1x3 enlarged x32
    assert cells.shape == (1, 32, 96, 1) and cells[0, 0, ::32, 0].tolist() == [0, 128, 255]
    assert render_cells(np.zeros((2, 1, 28, 28))).shape == (2, 56, 56, 1)  # ceil(32 / 28) = 2
    assert render_cells(np.zeros((1, 1, 64, 64))).shape == (1, 64, 64, 1)  # large enough already
