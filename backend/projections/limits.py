"""What a projection may ask: ``n`` within the dataset and the settings, t-SNE and UMAP within ``max_manifold_n`` (and
UMAP only where umap-learn is installed)."""

from __future__ import annotations

import importlib.util

from ..config import Settings
from ..errors import InvalidInput, LimitExceeded

MANIFOLD_METHODS = ("tsne", "umap")
MIN_MANIFOLD_N = 20  # fewer points: no neighbourhood for t-SNE's perplexity or UMAP's n_neighbors to describe


def check_projected_n(n: int, settings: Settings, field: str = "query.n") -> None:
    """422 naming ``field`` when ``n`` items are over max_projection_n (a projection's, or a sample's searched among
    the codes a projection job stored)."""
    if n > settings.max_projection_n:
        raise LimitExceeded("max_projection_n", n, settings.max_projection_n, field)


def check_projection(method: str, n: int, n_items: int, latent_dim: int, settings: Settings) -> None:
    """422 naming the field (``body.n``, ``body.method``) or the setting a projection of ``n`` items is over."""
    check_projected_n(n, settings, "body.n")
    if n > n_items:
        raise InvalidInput("body.n", f"expected at most the dataset's {n_items} items (n = {n_items}: every item), "
                           f"got {n}")
    if method not in MANIFOLD_METHODS:
        return
    if n > settings.max_manifold_n:
        raise LimitExceeded("max_manifold_n", n, settings.max_manifold_n, f"body.n of a {method} projection")
    if n < MIN_MANIFOLD_N:
        raise InvalidInput("body.n", f"expected at least {MIN_MANIFOLD_N} items for {method}, got {n}")
    if latent_dim < 2:
        raise InvalidInput("body.method", f"{method} maps 2 or more latent dims to 2; this run has latent_dim = "
                           f"{latent_dim}: expected pca or mi")
    if method == "umap" and importlib.util.find_spec("umap") is None:
        raise InvalidInput("body.method", "umap-learn is not installed on this server; expected tsne, or "
                           "`pip install umap-learn` on the server")
