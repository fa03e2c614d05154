"""Forward kinematics of the DeepMimic humanoid: 43 pose values -> 3-D joint positions, for stick figures.

Offsets and joint axes are pybullet's ``pybullet_data/humanoid/humanoid.urdf`` (joint <origin xyz>, knees
and elbows revolute about z), times the 0.25 global scaling that pybullet's DeepMimic environment loads
it with, so that the legs (0.83 m) match the clips' root height (~0.85 m). Pose layout: see
``humanoid_mocap.JOINTS``; quaternions are (w, x, y, z), y is up.
"""

from __future__ import annotations

import numpy as np

SCALE = 0.25
# (point, parent point, offset in the parent joint's frame, urdf units); file order of the pose values
BONES: tuple[tuple[str, str, tuple[float, float, float]], ...] = (
    ("chest", "root", (0.0, 0.944604, 0.0)),
    ("neck", "chest", (0.0, 0.895576, 0.0)),
    ("head", "neck", (0.0, 0.7, 0.0)),  # not a joint: a point above the neck, for drawing only
    ("right_hip", "root", (0.0, 0.0, 0.339548)),
    ("right_knee", "right_hip", (0.0, -1.686184, 0.0)),
    ("right_ankle", "right_knee", (0.0, -1.639480, 0.0)),
    ("right_shoulder", "chest", (-0.0962, 0.974, 0.73244)),
    ("right_elbow", "right_shoulder", (0.0, -1.099152, 0.0)),
    ("right_wrist", "right_elbow", (0.0, -1.035788, 0.0)),
    ("left_hip", "root", (0.0, 0.0, -0.339548)),
    ("left_knee", "left_hip", (0.0, -1.686184, 0.0)),
    ("left_ankle", "left_knee", (0.0, -1.639480, 0.0)),
    ("left_shoulder", "chest", (-0.0962, 0.974, -0.73244)),
    ("left_elbow", "left_shoulder", (0.0, -1.099152, 0.0)),
    ("left_wrist", "left_elbow", (0.0, -1.035788, 0.0)),
)
POINTS: tuple[str, ...] = ("root", *(b[0] for b in BONES))
# where each rotation starts in the 43 values: quaternions (4 values) and revolute angles about z (1 value)
QUATERNIONS = {"root": 3, "chest": 7, "neck": 11, "right_hip": 15, "right_ankle": 20, "right_shoulder": 24,
               "left_hip": 29, "left_ankle": 34, "left_shoulder": 38}
ANGLES = {"right_knee": 19, "right_elbow": 28, "left_knee": 33, "left_elbow": 42}


def quaternion_matrices(q: np.ndarray) -> np.ndarray:
    """(N, 4) quaternions (w, x, y, z), normalised here -> (N, 3, 3) rotation matrices."""
    w, x, y, z = (q / np.linalg.norm(q, axis=1, keepdims=True)).T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], 1)


def z_rotations(angle: np.ndarray) -> np.ndarray:
    """(N,) radians -> (N, 3, 3) rotations about z."""
    c, s, zero, one = np.cos(angle), np.sin(angle), np.zeros_like(angle), np.ones_like(angle)
    return np.stack([np.stack([c, -s, zero], -1), np.stack([s, c, zero], -1), np.stack([zero, zero, one], -1)], 1)


def local_rotation(poses: np.ndarray, point: str) -> np.ndarray:
    """(N, 43) poses -> (N, 3, 3) rotation of ``point``'s joint relative to its parent (identity if none)."""
    if point in QUATERNIONS:
        return quaternion_matrices(poses[:, QUATERNIONS[point] : QUATERNIONS[point] + 4])
    if point in ANGLES:
        return z_rotations(poses[:, ANGLES[point]])
    return np.broadcast_to(np.eye(3), (len(poses), 3, 3))


def joint_positions(poses: np.ndarray) -> np.ndarray:
    """(N, 43) pose values (not z-scored) -> (N, len(POINTS), 3) world positions, in POINTS order."""
    position = {"root": poses[:, 0:3]}
    rotation = {"root": local_rotation(poses, "root")}
    for point, parent, offset in BONES:
        offset_world = rotation[parent] @ (SCALE * np.asarray(offset))  # (N, 3)
        position[point] = position[parent] + offset_world
        rotation[point] = rotation[parent] @ local_rotation(poses, point)
    return np.stack([position[p] for p in POINTS], 1)
