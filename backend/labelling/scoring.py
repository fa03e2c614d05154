"""Scoring a lens version's pool for a session: the base representation (cached per base version), then
``rank_pool``, saved beside the lens. Used by the API (on demand) and by the lens_fit job (right after a fit)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models import Dataset

from ..lenses.create import lens_of
from ..lenses.fit import representation
from .model import LabelSession
from .ranking import MAX_HEAD, Ranking, rank_pool
from .ranking_files import cached_representation, ranking_name, save_ranking


def session_head(session: LabelSession) -> int:
    """How many items bald_batch orders jointly: those labelled before the next refit (or a batch, if larger)."""
    return min(max(session.batch_size, session.refit_every), MAX_HEAD)


def ranking_key(session: LabelSession, attribute: str) -> str:
    """The name of the session's ranking for ``attribute`` (shared by every session asking the same of the same
    pool: every item, or one item set's)."""
    name = ranking_name(attribute, session.strategy, session_head(session))
    return name if session.item_set is None else f"{name}.set-{session.item_set.set_id}"


def pool_representation(model: Any, dataset: Dataset, folder: Path, base_version: str) -> torch.Tensor:
    """The base run's encoder means (N, D) of every item of ``dataset``, on the model's device."""
    device = next(model.parameters()).device
    z = cached_representation(folder, base_version, lambda: representation(
        model, dataset, np.arange(len(dataset)), device).float().cpu().numpy())
    return torch.from_numpy(z).to(device)


def score_pool(model: Any, dataset: Dataset, folder: Path, base_version: str, lens_version: str,
               session: LabelSession, attribute: str) -> Ranking:
    """Rank every item of the session's pool (every item, or its item set's only) for ``attribute`` with the lens
    ``model`` (at ``lens_version``), save the ranking in the lens ``folder`` and return it."""
    z = pool_representation(model, dataset, folder, base_version)
    pool = None if session.item_set is None else np.asarray(session.item_set.items, dtype=np.int64)  # (P,)
    if pool is not None:
        z = z[torch.from_numpy(pool).to(z.device)]
    ranking = rank_pool(lens_of(model), z, attribute, session.strategy, lens_version, session_head(session))
    if pool is not None:
        ranking = on_items(ranking, pool, len(dataset))
    save_ranking(folder, ranking, ranking_key(session, attribute))
    return ranking


def on_items(ranking: Ranking, pool: np.ndarray, n_items: int) -> Ranking:
    """A ranking of ``pool``'s items (P,) made by position in the pool, as one of dataset items: ``ranked`` (P,)
    item indices, the predictive arrays (n_items, ...) indexed by item (NaN for items outside the pool)."""
    predictive = {}
    for name, values in ranking.predictive.items():
        full = np.full((n_items, *values.shape[1:]), np.nan, dtype=values.dtype)
        full[pool] = values
        predictive[name] = full
    return replace(ranking, ranked=pool[ranking.ranked], predictive=predictive)
