"""Training a lens on a whole representation: from scratch, or from earlier weights (a refit after new labels).

Batches mix the two pools so the few labelled items are seen in every batch: an item with any attribute
labelled is in the labelled pool, the rest in the unlabelled pool; each batch takes
``min(len(labelled pool), batch_size // 2)`` labelled items and fills the rest from the unlabelled pool (all
from one pool when the other is empty). Each pool is read in its own seeded epoch-wise shuffles, so batch
``step`` is a pure function of (seed, step), as in ``models/training.py``; the loss is the plain batch mean,
so labelled items weigh more than their share of the data (as M2's alpha-weighted labelled term does).
Deterministic for a seed on the CPU (on CUDA ``index_add`` sums in a nondeterministic order).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from .attributes import check_labels
from .model import Labels, Lens


@dataclass(frozen=True)
class FitProgress:
    step: int  # steps done
    total: int
    loss: float  # mean batch loss since the last report
    elapsed_s: float


@dataclass(frozen=True)
class FitResult:
    losses: tuple[float, ...]  # (steps,) each step's batch loss, before its update
    terms: dict[str, float]  # the last step's terms
    labelled_per_batch: int
    elapsed_s: float


ProgressFn = Callable[[FitProgress], None]


def fit_lens(lens: Lens, z: Tensor, labels: Labels | None, mask: Labels | None, steps: int, batch_size: int,
             lr: float = 1e-3, seed: int = 0, on_progress: ProgressFn | None = None,
             init_state: Mapping[str, Tensor] | None = None, log_every: int = 50) -> FitResult:
    """Train ``lens`` (moved to z's device) on z (N, D) with labels/mask {attribute: (N,)} for ``steps`` Adam
    steps; ``init_state`` (a state dict of an earlier lens of the same config) is loaded first."""
    if steps < 1 or batch_size < 2 or not lr > 0 or log_every < 1:
        raise ValueError(f"expected steps >= 1, batch_size >= 2, lr > 0 and log_every >= 1, got steps={steps}, "
                         f"batch_size={batch_size}, lr={lr}, log_every={log_every}")
    checked = check_labels(lens.config.attributes, labels, mask, z)  # validates once; batches are re-checked
    labels, mask = _on(labels, z.device), _on(mask, z.device)
    lens.to(z.device)
    if init_state is not None:
        lens.load_state_dict(init_state)
    labelled = torch.stack(list(checked.mask.values())).any(0).cpu().numpy()  # (N,)
    pools = (np.flatnonzero(labelled), np.flatnonzero(~labelled))
    sizes = batch_sizes(len(pools[0]), len(pools[1]), batch_size)
    generator = torch.Generator(device=z.device).manual_seed(seed)
    optimizer = torch.optim.Adam(lens.parameters(), lr=lr)
    lens.train()
    start, losses = time.perf_counter(), []
    terms: dict[str, Tensor] = {}
    for step in range(steps):
        idx = torch.from_numpy(batch_index(pools, sizes, seed, step)).to(z.device)
        loss, terms = lens.loss(z[idx], _rows(labels, idx), _rows(mask, idx), generator)
        _optimizer_step(optimizer, loss)
        losses.append(terms["loss"])
        if on_progress is not None and ((step + 1) % log_every == 0 or step + 1 == steps):
            window = losses[-((step % log_every) + 1):]  # the steps since the last report
            on_progress(FitProgress(step + 1, steps, float(torch.stack(window).mean()), time.perf_counter() - start))
    return FitResult(tuple(torch.stack(losses).tolist()), {k: float(v) for k, v in terms.items()}, sizes[0],
                     time.perf_counter() - start)


def _optimizer_step(optimizer: torch.optim.Optimizer, loss: Tensor) -> None:
    if not torch.isfinite(loss):
        raise FloatingPointError(f"the loss became {loss.item()}; lower lr or check the representation")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def batch_index(pools: tuple[np.ndarray, np.ndarray], sizes: tuple[int, int], seed: int, step: int) -> np.ndarray:
    """Batch ``step``'s item indices (B,): sizes[0] from the labelled pool, then sizes[1] from the unlabelled."""
    return np.concatenate([pool_batch(pool, n, seed, stream, step)
                           for stream, (pool, n) in enumerate(zip(pools, sizes, strict=True))])


def batch_sizes(n_labelled: int, n_unlabelled: int, batch_size: int) -> tuple[int, int]:
    """(labelled, unlabelled) items per batch."""
    if n_labelled + n_unlabelled < batch_size:
        raise ValueError(f"batch_size {batch_size} exceeds the {n_labelled + n_unlabelled} items")
    n_l = min(n_labelled, batch_size // 2) if n_unlabelled else batch_size
    n_l = max(n_l, batch_size - n_unlabelled)
    return n_l, batch_size - n_l


def pool_batch(pool: np.ndarray, n: int, seed: int, stream: int, step: int) -> np.ndarray:
    """Batch ``step``'s n items of ``pool`` (P,): positions step*n .. step*n+n-1 of the pool's concatenated
    seeded epoch shuffles."""
    if n == 0:
        return pool[:0]
    epochs, offsets = np.divmod(np.arange(step * n, (step + 1) * n), len(pool))
    return np.concatenate([pool[_permutation(len(pool), seed, stream, int(e))[offsets[epochs == e]]]
                           for e in np.unique(epochs)])


@lru_cache(maxsize=4)
def _permutation(n: int, seed: int, stream: int, epoch: int) -> np.ndarray:
    """(n,) read-only seeded shuffle of epoch ``epoch`` of pool ``stream``."""
    perm = np.random.default_rng([seed, stream, epoch]).permutation(n)
    perm.flags.writeable = False
    return perm


def _on(labels: Labels | None, device: torch.device) -> dict[str, Tensor] | None:
    return None if labels is None else {name: v.to(device) for name, v in labels.items()}


def _rows(labels: dict[str, Tensor] | None, idx: Tensor) -> dict[str, Tensor] | None:
    return None if labels is None else {name: v[idx] for name, v in labels.items()}
