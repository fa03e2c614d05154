"""humanoid_mocap: DeepMimic clips from pybullet_data; the format on synthetic files, the real clips when
the optional extra is installed, and a clear error naming the extra when it is not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from models.datasets import dataset_names
from models.datasets.humanoid_mocap import (
    HELD_OUT_CLIPS,
    JOINTS,
    MissingExtraError,
    build,
    feature_names,
    held_out_split,
    joint_groups,
    motions_dir,
    read_clip,
    read_clips,
)


def _write_clip(directory: Path, name: str, n_frames: int, seed: int) -> np.ndarray:
    """A DeepMimic-format file of random poses; returns its (T, 43) pose values."""
    poses = np.random.default_rng(seed).normal(size=(n_frames, 43))
    frames = np.concatenate([np.full((n_frames, 1), 1 / 30), poses], 1)
    (directory / f"humanoid3d_{name}.txt").write_text(json.dumps({"Loop": "wrap", "Frames": frames.tolist()}))
    return poses


def test_layout_is_43_values_in_14_joint_groups() -> None:
    groups = joint_groups()
    assert len(groups) == len(JOINTS) == 14 and groups[-1].stop == 43
    assert [g.stop - g.start for g in groups] == [3, 4, 4, 4, 4, 1, 4, 4, 1, 4, 1, 4, 4, 1]
    assert len(feature_names()) == 43 and feature_names()[3] == "root_rotation.w"


def test_synthetic_clips_are_read_standardised_and_split(tmp_path: Path) -> None:
    poses = {n: _write_clip(tmp_path, n, t, s) for s, (n, t) in enumerate([("walk", 7), ("run", 5), ("spinkick", 4)])}
    clips = read_clips(tmp_path)
    assert list(clips) == ["run", "spinkick", "walk"]
    np.testing.assert_allclose(read_clip(tmp_path / "humanoid3d_walk.txt"), poses["walk"])
    ds = build(clips)
    train, test = held_out_split(ds)
    assert len(train) == 7 and len(test) == 9 and ds.info.extra["held_out_clips"] == list(HELD_OUT_CLIPS)
    x = ds.items(train).astype(np.float64)
    np.testing.assert_allclose(x.mean(0), 0, atol=1e-6)  # z-scored with the training clips only
    np.testing.assert_allclose(x.std(0), 1, atol=1e-5)
    np.testing.assert_array_equal(ds.attributes(test)[:, 0], ds.factors(test)[:, 0])


def test_wrong_frame_width_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "humanoid3d_bad.txt").write_text(json.dumps({"Frames": [[0.03, 1.0, 2.0]]}))
    with pytest.raises(ValueError, match="1 \\+ 43 values"):
        read_clip(tmp_path / "humanoid3d_bad.txt")


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pybullet_data", None)  # makes `import pybullet_data` fail
    with pytest.raises(MissingExtraError, match=r"factorscope\[mocap\]"):
        motions_dir()
    assert "humanoid_mocap" in dataset_names()


@pytest.mark.extra("mocap")
def test_real_clips_when_the_extra_is_installed() -> None:
    from models.datasets import get_dataset

    ds = get_dataset("humanoid_mocap")
    info = ds.info
    assert info.shape == (43,) and len(info.groups) == 14 and "walk" in info.extra["clips"]
    assert set(HELD_OUT_CLIPS) <= set(info.extra["clips"])
    train, test = held_out_split(ds)
    assert len(train) + len(test) == len(ds) and len(test) > 0
    assert np.all(np.isfinite(ds.items(np.arange(len(ds)))))
    assert info.factor_sizes == (len(info.extra["clips"]),)
    json.dumps(info.to_json())
    every = np.arange(len(ds))
    clip, phase = ds.attributes(every).T  # phase: the frame's place in its clip, 0 at the first, 1 at the last
    for c in np.unique(clip):
        frames = phase[clip == c]
        assert frames[0] == 0.0 and frames[-1] == 1.0 and np.all(np.diff(frames) > 0), c
