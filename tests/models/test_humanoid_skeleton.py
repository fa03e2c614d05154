"""Forward kinematics of the DeepMimic humanoid: bone lengths, the rest pose, and real clips on the ground."""

from __future__ import annotations

import numpy as np
import pytest

from models.datasets.humanoid_skeleton import BONES, POINTS, SCALE, joint_positions

INDEX = {p: i for i, p in enumerate(POINTS)}
LEG = SCALE * (1.686184 + 1.639480)  # hip to ankle, straight


def rest_pose(root_height: float = 1.0) -> np.ndarray:
    """(1, 43): the root at (0, h, 0), every quaternion the identity, knees and elbows straight."""
    pose = np.zeros((1, 43))
    pose[0, 1] = root_height
    for start in (3, 7, 11, 15, 20, 24, 29, 34, 38):
        pose[0, start] = 1.0
    return pose


def test_the_rest_pose_stands_straight() -> None:
    p = joint_positions(rest_pose())[0]
    np.testing.assert_allclose(p[INDEX["right_ankle"]], [0.0, 1.0 - LEG, SCALE * 0.339548], atol=1e-12)
    np.testing.assert_allclose(p[INDEX["left_ankle"]], [0.0, 1.0 - LEG, -SCALE * 0.339548], atol=1e-12)
    assert p[INDEX["head"], 1] > p[INDEX["neck"], 1] > p[INDEX["chest"], 1] > 1.0


def test_any_rotations_keep_every_bone_length() -> None:
    rng = np.random.default_rng(0)
    poses = rng.normal(size=(50, 43))  # random (unnormalised) quaternions and angles
    p = joint_positions(poses)
    for point, parent, offset in BONES:
        lengths = np.linalg.norm(p[:, INDEX[point]] - p[:, INDEX[parent]], axis=1)
        np.testing.assert_allclose(lengths, SCALE * np.linalg.norm(offset), rtol=1e-10)


@pytest.mark.extra("mocap")
def test_the_walk_clip_keeps_a_foot_on_the_ground() -> None:
    from models.datasets import get_dataset

    ds = get_dataset("humanoid_mocap")
    walk = np.flatnonzero(ds.factors(np.arange(len(ds)))[:, 0] == ds.info.extra["clips"].index("walk"))
    poses = ds.items(walk) * np.asarray(ds.info.extra["std"]) + np.asarray(ds.info.extra["mean"])
    p = joint_positions(poses)
    lowest_ankle = np.minimum(p[:, INDEX["right_ankle"], 1], p[:, INDEX["left_ankle"], 1])
    assert np.all((lowest_ankle > -0.05) & (lowest_ankle < 0.15))  # ankles are ~0.05 m above the floor
    assert np.all(p[:, INDEX["head"], 1] > 1.3)  # upright the whole clip
