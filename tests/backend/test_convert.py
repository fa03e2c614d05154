"""Rendering items as PNG cells: images as they are, vectors as heat strips with a line between groups."""

from __future__ import annotations

import numpy as np

from backend.convert import GROUP_LINE, STRIP_COLUMN, STRIP_HEIGHT, render_cells


def test_a_vector_strip_has_one_line_before_each_group_but_the_first() -> None:
    values = np.zeros((2, 10))
    values[:, 3:6] = 3.0  # the middle group at full red
    cells = render_cells(values, group_starts=(0, 3, 6))  # (2, h, 10 * col + 2, 3)
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
    np.testing.assert_array_equal(render_cells(image, group_starts=(0, 8)), render_cells(image))
