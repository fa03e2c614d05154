"""Posterior parameters of many items through an inference executor, a chunk of items at a time (never the whole
dataset's pixels in memory at once)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..convert import to_numpy
from ..inference import InferenceExecutor
from ..store import LoadedRun

ENCODE_CHUNK = 4096  # items handed to the executor at once


def encode_index(executor: InferenceExecutor, loaded: LoadedRun, index: np.ndarray,
                 on_chunk: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(N,) dataset indices -> their posteriors' mu, logvar (N, K) float64; ``on_chunk(items done)`` after each
    chunk. The executor's passes are those of a single request (``analysis.encoded``): the same bits."""
    mus, logvars = [], []
    for start in range(0, len(index), ENCODE_CHUNK):
        chunk = torch.from_numpy(loaded.dataset.items(index[start : start + ENCODE_CHUNK]))
        mu, logvar = executor.run(loaded, "encode", chunk)
        mus.append(to_numpy(mu).astype(np.float64))
        logvars.append(to_numpy(logvar).astype(np.float64))
        if on_chunk is not None:
            on_chunk(min(start + ENCODE_CHUNK, len(index)))
    return np.concatenate(mus), np.concatenate(logvars)
