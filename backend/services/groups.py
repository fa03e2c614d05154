"""The latent-to-group heatmap H (G, K), H[g, j] = ||W^(g)[:, j]||_2, and each dim's top groups."""

from __future__ import annotations

from typing import Any

import numpy as np

from models import Grouped

from ..errors import Problem
from ..inference import InferenceExecutor
from ..runs import RunRecord
from ..store import LoadedRun
from .catalog import capabilities

TOP = 3


class NoGroups(Problem):
    status, slug = 409, "no-groups"


def check_grouped(record: RunRecord) -> None:
    """409 unless the run's family has a latent-to-group map (before its model is loaded)."""
    if "group_heatmap" not in capabilities(record):
        raise no_groups(record)


def no_groups(record: RunRecord) -> NoGroups:
    return NoGroups(f"run {record.run_id!r} ({record.family} on {record.dataset}) has no groups: the heatmap "
                    "needs a grouped family; expected a run of family 'oi_vae'")


def top_groups(norms: np.ndarray, names: list[str], top: int = TOP) -> list[dict[str, Any]]:
    """norms (G, K) -> per dim j the up to ``top`` groups with the largest nonzero norm, largest first."""
    rows = []
    for j in range(norms.shape[1]):
        order = [g for g in np.argsort(-norms[:, j], kind="stable")[:top] if norms[g, j] > 0]
        rows.append({"dim": j, "groups": [names[g] for g in order], "norms": [float(norms[g, j]) for g in order]})
    return rows


def heatmap_view(loaded: LoadedRun, executor: InferenceExecutor) -> dict[str, Any]:
    model = loaded.model
    if not isinstance(model, Grouped):
        raise no_groups(loaded.record)
    norms = executor.call(loaded, lambda _: model.latent_to_group().cpu().numpy())  # (G, K) float32
    norms = norms.astype(np.float64)  # float32 -> float64 keeps exact zeros exact
    groups = list(model.feature_groups())
    names = [g.name for g in groups]
    return {"run_id": loaded.run_id, "version": loaded.version, "groups": names,
            "group_slices": [{"name": g.name, "start": g.start, "stop": g.stop} for g in groups],
            "dims": list(range(norms.shape[1])), "norms": norms.tolist(), "n_zero": int((norms == 0).sum()),
            "top_groups": top_groups(norms, names)}
