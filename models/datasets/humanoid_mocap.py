"""DeepMimic humanoid motion clips as shipped by pybullet (``pybullet_data/data/motions/humanoid3d_*.txt``):
one item per frame, 43 pose values in 14 joint groups (seed 000's motion-capture use of oi-VAE).

Optional: needs the ``pybullet`` package (``pip install 'factorscope[mocap]'``), which bundles the clips;
nothing is downloaded. The file format (JSON ``{"Loop": ..., "Frames": [[duration, 43 pose values], ...]}``)
and the value order follow pybullet's ``deep_mimic/env/humanoid_pose_interpolator.py``: quaternions are
stored (w, x, y, z), knees and elbows are single angles (radians), the root position is in metres.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .attributes import Attribute, attribute_fields
from .base import ArrayDataset, Dataset, DatasetInfo, Group
from .registry import MissingExtraError, register_dataset

INSTALL_HINT = "pip install 'factorscope[mocap]'"
# (joint, values per frame) in file order after the leading frame duration: 3 + 4 * 9 + 1 * 4 = 43
JOINTS: tuple[tuple[str, int], ...] = (
    ("root_position", 3), ("root_rotation", 4), ("chest", 4), ("neck", 4),
    ("right_hip", 4), ("right_knee", 1), ("right_ankle", 4), ("right_shoulder", 4), ("right_elbow", 1),
    ("left_hip", 4), ("left_knee", 1), ("left_ankle", 4), ("left_shoulder", 4), ("left_elbow", 1),
)
N_VALUES = sum(n for _, n in JOINTS)  # 43
HELD_OUT_CLIPS = ("run", "spinkick")  # variations of training clips (walk; spin and kick), as seed 000's brisk walk


def motions_dir() -> Path:
    """pybullet_data's motion folder, or MissingExtraError naming the extra to install."""
    try:
        import pybullet_data
    except ImportError as err:
        raise MissingExtraError(f"dataset 'humanoid_mocap' needs the pybullet package: {INSTALL_HINT}") from err
    return Path(pybullet_data.getDataPath()) / "data" / "motions"


def read_clip(path: Path) -> np.ndarray:
    """One DeepMimic motion file -> (T, 43) float64 pose values (the frame duration column dropped)."""
    frames = np.asarray(json.loads(path.read_text())["Frames"], dtype=np.float64)  # (T, 44)
    if frames.ndim != 2 or frames.shape[1] != N_VALUES + 1:
        raise ValueError(f"{path.name}: expected frames of 1 + {N_VALUES} values, got shape {frames.shape}")
    return frames[:, 1:]


def read_clips(directory: Path) -> dict[str, np.ndarray]:
    """Every ``humanoid3d_<clip>.txt`` in ``directory``, by clip name (sorted)."""
    paths = sorted(directory.glob("humanoid3d_*.txt"))
    if not paths:
        raise FileNotFoundError(f"no humanoid3d_*.txt motion clips in {directory}")
    return {p.stem.removeprefix("humanoid3d_"): read_clip(p) for p in paths}


def feature_names() -> list[str]:
    """43 names, e.g. 'root_position.x', 'chest.w', 'right_knee.angle'."""
    axes = {1: ("angle",), 3: ("x", "y", "z"), 4: ("w", "x", "y", "z")}
    return [f"{joint}.{a}" for joint, n in JOINTS for a in axes[n]]


def joint_groups() -> tuple[Group, ...]:
    """The 14 joints as contiguous slices of the 43 values."""
    stops = np.cumsum([n for _, n in JOINTS])
    return tuple(Group(name, int(stop - n), int(stop)) for (name, n), stop in zip(JOINTS, stops, strict=True))


def build(clips: dict[str, np.ndarray], held_out: tuple[str, ...] = HELD_OUT_CLIPS) -> ArrayDataset:
    """Frames of all clips, z-scored with the mean and std of the training (not held-out) clips."""
    names = list(clips)
    unknown = sorted(set(held_out) - set(names))
    if unknown:
        raise ValueError(f"held-out clips {unknown} are not among {names}")
    x = np.concatenate([clips[n] for n in names])  # (N, 43)
    clip = np.concatenate([np.full(len(clips[n]), i) for i, n in enumerate(names)])  # (N,)
    phase = np.concatenate([np.linspace(0.0, 1.0, len(clips[n])) for n in names])  # (N,) position in its clip
    train = ~np.isin(clip, [names.index(h) for h in held_out])
    mean, std = x[train].mean(0), x[train].std(0)
    std = np.where(std > 1e-8, std, 1.0)
    schema = _schema(names)
    info = _info(names, len(x), held_out, mean, std, schema)
    return ArrayDataset(info, (x - mean) / std, factors=clip[:, None], attributes=np.stack([clip, phase], 1),
                        schema=schema)


def _schema(names: list[str]) -> tuple[Attribute, ...]:
    return (Attribute.categorical("clip", names, "the motion clip the frame comes from"),
            Attribute.continuous("phase", 0.0, 1.0, "fraction of the clip: 0 = first frame, 1 = last",
                                 "the frame's place in its clip"))


def _info(names: list[str], n: int, held_out: tuple[str, ...], mean: np.ndarray, std: np.ndarray,
          schema: tuple[Attribute, ...]) -> DatasetInfo:
    return DatasetInfo(
        name="humanoid_mocap",
        kind="grouped_vector",
        shape=(N_VALUES,),
        n_items=n,
        likelihood="gaussian",
        description=f"DeepMimic humanoid motion clips bundled with pybullet: {n} frames of {len(names)} clips,"
        f" 43 pose values (root position, joint quaternions, knee and elbow angles) in {len(JOINTS)} joint"
        f" groups, z-scored with the statistics of every clip but {', '.join(held_out)}, which the"
        f" generalisation benchmark holds out (runs trained here hold out random frames).",
        factor_names=("clip",),
        factor_sizes=(len(names),),
        **attribute_fields(schema),
        groups=joint_groups(),
        extra={"clips": names, "held_out_clips": list(held_out), "feature_names": feature_names(),
               "mean": mean.tolist(), "std": std.tolist(), "source": "pybullet_data/data/motions/humanoid3d_*.txt",
               "figure": "humanoid"},
    )


def held_out_split(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) item indices: frames of the clips not held out, and of the held-out clips."""
    names, held = dataset.info.extra["clips"], dataset.info.extra["held_out_clips"]
    every = np.arange(len(dataset), dtype=np.int64)
    test = np.isin(dataset.factors(every)[:, 0], [names.index(h) for h in held])
    return every[~test], every[test]


@register_dataset("humanoid_mocap")
def load() -> Dataset:
    return build(read_clips(motions_dir()))
