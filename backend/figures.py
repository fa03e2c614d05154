"""Stick figures of humanoid poses (``humanoid_mocap``), drawn above each item's heat strip.

Joint positions come from ``models.datasets.humanoid_skeleton`` (forward kinematics of pybullet's humanoid);
the view is orthographic, turned 37 degrees about the vertical so that both legs show, centred on the root
(x, z) so a traversal that moves the root still stays in the cell; the ground (y = 0) is the bottom line.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from models import HUMANOID_BONES as BONES
from models import HUMANOID_POINTS as POINTS
from models import DatasetInfo
from models import humanoid_joint_positions as joint_positions

FIGURE_SIZE = 96  # pixels: the figure's height, and its minimum width
PIXELS_PER_METRE = 44.0  # 2.1 m of height fit
VIEW = (0.8, 0.6)  # horizontal axis = 0.8 x + 0.6 z
INDEX = {p: i for i, p in enumerate(POINTS)}
COLOURS = {"right": (200, 40, 40), "left": (40, 80, 200), "": (40, 40, 40)}


def denormalize(values: np.ndarray, info: DatasetInfo) -> np.ndarray:
    """(N, 43) z-scored model outputs -> pose values in the clips' units (radians, metres)."""
    return values * np.asarray(info.extra["std"]) + np.asarray(info.extra["mean"])


def project(points: np.ndarray, width: int) -> np.ndarray:
    """(J, 3) world positions -> (J, 2) pixel (column, row), centred on the root, the ground at the bottom."""
    rel = points - points[INDEX["root"]] * np.array([1.0, 0.0, 1.0])  # keep heights, drop the root's travel
    h = VIEW[0] * rel[:, 0] + VIEW[1] * rel[:, 2]
    return np.stack([width / 2 + PIXELS_PER_METRE * h, FIGURE_SIZE - 3 - PIXELS_PER_METRE * rel[:, 1]], 1)


def draw_figure(points: np.ndarray, width: int) -> np.ndarray:
    """(J, 3) joint positions -> (FIGURE_SIZE, width, 3) uint8 stick figure on white."""
    image = Image.new("RGB", (width, FIGURE_SIZE), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.line([(0, FIGURE_SIZE - 3), (width, FIGURE_SIZE - 3)], fill=(190, 190, 190))
    xy = project(points, width)
    for point, parent, _ in BONES:
        side = point.split("_")[0] if "_" in point else ""
        a, b = xy[INDEX[parent]], xy[INDEX[point]]
        draw.line([tuple(a), tuple(b)], fill=COLOURS.get(side, COLOURS[""]), width=2)
    head = xy[INDEX["head"]]
    draw.ellipse([head[0] - 4, head[1] - 4, head[0] + 4, head[1] + 4], outline=COLOURS[""], width=2)
    return np.asarray(image)


def figure_cells(values: np.ndarray, info: DatasetInfo, width: int) -> np.ndarray:
    """(N, 43) z-scored outputs -> (N, FIGURE_SIZE, width, 3) stick figures."""
    points = joint_positions(denormalize(values, info))  # (N, J, 3)
    return np.stack([draw_figure(p, width) for p in points])
