"""Ranking a labelling session's pool by an acquisition strategy (SCIENCE.md section 7; seed 001, Sec. 3).

For a lens version and one attribute: draw M samples z*^(m) ~ q(z* | z_j) per item (unlabelled attributes drawn
from q(s | z), as ``Lens.sample_z_star`` does), read p(s | z*^(m)) off the lens's heads, and score every item:
``bald`` / ``max_entropy`` over the probabilities (M, N, C) of a categorical attribute, ``gaussian_bald`` /
``gaussian_max_entropy`` (the moment-matched approximation of ``models.acquisition.continuous``) for a continuous
one, uniform draws for ``random``; ``bald_batch`` orders the first ``head`` items by ``choose_batch`` (BALD with a
diversity penalty in z*, so the items labelled before the next refit are not near-duplicates), the rest by BALD.

Cost: M * N rows through the recognition flow and the heads, CHUNK items at a time (memory stays bounded).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from models import Lens, bald, choose_batch, gaussian_bald, gaussian_max_entropy, max_entropy, random_scores

SAMPLES = 20  # M draws of z* per item
SEED = 0  # the draws are seeded: the same lens version gives the same ranking
CHUNK = 2048  # items per pass (M * CHUNK rows)
MAX_HEAD = 1000  # items ordered jointly by bald_batch
CANDIDATES_PER_PICK = 10  # bald_batch chooses its head among the head * 10 best items by BALD


@dataclass(frozen=True)
class Ranking:
    """One lens version's order of the pool for one attribute and strategy.

    ranked (N,) item indices, best first; scores (N,) the acquisition score of ranked[i] in nats (None: random);
    predictive: per item (indexed by item, not rank), categorical "probs" (N, C) = mean_m p(s | z*^(m)), or
    continuous "mean" (N,) and "sd" (N,) of the moment-matched predictive."""

    lens_version: str
    attribute: str
    strategy: str
    ranked: np.ndarray
    scores: np.ndarray | None
    predictive: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class _Parts:
    """Per-chunk results, concatenated at the end: scores (N,) per strategy, mean z* (N, k), the predictive."""

    bald: list[np.ndarray] = field(default_factory=list)
    entropy: list[np.ndarray] = field(default_factory=list)
    codes: list[np.ndarray] = field(default_factory=list)
    predictive: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add_predictive(self, name: str, value: np.ndarray) -> None:
        self.predictive.setdefault(name, []).append(value)


@torch.inference_mode()
def rank_pool(lens: Lens, z: Tensor, attribute: str, strategy: str, version: str, head: int = 1,
              samples: int = SAMPLES, seed: int = SEED) -> Ranking:
    """z (N, D) the base representation of items 0..N-1 -> the Ranking of those items for ``attribute``."""
    generator = torch.Generator(device=z.device).manual_seed(seed)
    parts = _Parts()
    for start in range(0, z.shape[0], CHUNK):
        _score_chunk(lens, z[start:start + CHUNK], attribute, samples, generator, parts)
    predictive = {name: np.concatenate(values) for name, values in parts.predictive.items()}
    scores = np.concatenate(parts.entropy if strategy == "max_entropy" else parts.bald)
    if strategy == "random":
        return Ranking(version, attribute, strategy, np.argsort(-random_scores(z.shape[0], seed), kind="stable"),
                       None, predictive)
    ranked = np.argsort(-scores, kind="stable")
    if strategy == "bald_batch":
        ranked = diverse_head(scores, np.concatenate(parts.codes), ranked, head)
    return Ranking(version, attribute, strategy, ranked, scores[ranked], predictive)


def _score_chunk(lens: Lens, z: Tensor, attribute: str, samples: int, generator: torch.Generator,
                 parts: _Parts) -> None:
    """Score B items (z (B, D)) into ``parts``."""
    z_star = lens.sample_z_star(z, samples, generator=generator)  # (M, B, k)
    parts.codes.append(z_star.mean(0).double().cpu().numpy())
    prediction = lens.predict_attributes(z_star)[attribute]
    if isinstance(prediction, Tensor):  # categorical: probs (M, B, C)
        probs = prediction.double().cpu().numpy()
        parts.bald.append(bald(probs))
        parts.entropy.append(max_entropy(probs))
        parts.add_predictive("probs", probs.mean(0).astype(np.float32))
        return
    means, variances = (t.double().cpu().numpy() for t in prediction)  # (M, B) each, raw units
    parts.bald.append(gaussian_bald(means, variances))
    parts.entropy.append(gaussian_max_entropy(means, variances))
    parts.add_predictive("mean", means.mean(0))
    parts.add_predictive("sd", np.sqrt(variances.mean(0) + means.var(0)))


def diverse_head(scores: np.ndarray, codes: np.ndarray, ranked: np.ndarray, head: int) -> np.ndarray:
    """``ranked`` (N,) with its first ``head`` items replaced by ``choose_batch``'s pick among the best
    head * CANDIDATES_PER_PICK (scores (N,) by item, codes (N, k) the mean z* of each item)."""
    n = min(max(head, 1), MAX_HEAD, ranked.size)
    candidates = ranked[:min(ranked.size, n * CANDIDATES_PER_PICK)]
    chosen = candidates[choose_batch(scores[candidates], n, codes[candidates])]
    rest = ranked[~np.isin(ranked, chosen)]
    return np.concatenate([chosen, rest])
