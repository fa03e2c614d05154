"""t-SNE (scikit-learn) and UMAP (umap-learn) of posterior means: (N, K) -> (N, 2), seeded."""

from __future__ import annotations

import numpy as np

from ..services.analysis import Embedding

TSNE_PERPLEXITY = 30.0  # scikit-learn's default, lowered for fewer points (it must stay below N)
UMAP_NEIGHBOURS = 15  # umap-learn's default, lowered likewise


def manifold(mu: np.ndarray, method: str, seed: int) -> Embedding:
    """``method`` ("tsne" or "umap") of the (N, K) means ``mu``, K >= 2, N >= limits.MIN_MANIFOLD_N."""
    coords = _tsne(mu, seed) if method == "tsne" else _umap(mu, seed)
    label = "t-SNE" if method == "tsne" else "UMAP"
    return Embedding([f"{label} 1", f"{label} 2"], None, np.asarray(coords, dtype=np.float64))


def _tsne(mu: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE

    perplexity = min(TSNE_PERPLEXITY, (len(mu) - 1) / 3)
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(mu)


def _umap(mu: np.ndarray, seed: int) -> np.ndarray:
    import umap  # umap-learn: imported here, its numba start-up costs seconds

    neighbours = min(UMAP_NEIGHBOURS, len(mu) - 1)
    return umap.UMAP(n_components=2, n_neighbors=neighbours, random_state=seed, n_jobs=1).fit_transform(mu)
