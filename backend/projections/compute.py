"""A projection computed in the worker: the sample's posterior means, encoded in chunks through an inference
executor of its own (the same passes as the API's, so pca and mi match GET /embedding), then projected."""

from __future__ import annotations

from collections.abc import Callable

from ..inference import InferenceExecutor, default_chunk_rows, deterministic_device
from ..services.analysis import Embedding, Encoded, embed, sample_items
from ..services.encode_chunks import ENCODE_CHUNK, encode_index
from ..store import LoadedRun
from .manifold import manifold

EXECUTOR_TIMEOUT_S = 3600.0  # one chunk's wait: the executor is this job's alone


def encode_sample(loaded: LoadedRun, n: int, seed: int, report: Callable[[float, str], None]) -> Encoded:
    """``analysis.sample_items(dataset, n, seed)`` and their posteriors' mu, logvar (N, K) float64; ``report``
    (fraction of the whole job, message) after each chunk: encoding is the first half."""
    index = sample_items(loaded.dataset, n, seed)
    device = next(loaded.model.parameters()).device
    executor = InferenceExecutor(1, ENCODE_CHUNK, default_chunk_rows(device), EXECUTOR_TIMEOUT_S, 1,
                                 deterministic_device(device)).start()
    try:
        mu, logvar = encode_index(executor, loaded, index,
                                  lambda done: report(0.5 * done / len(index), f"encoding: {done}/{len(index)} items"))
    finally:
        executor.close()
    return Encoded(index, mu, logvar)


def project(enc: Encoded, method: str, seed: int) -> Embedding:
    """pca or mi (``analysis.embed``), or a t-SNE / UMAP fit (``manifold``)."""
    return embed(enc, method) if method in ("pca", "mi") else manifold(enc.mu, method, seed)
