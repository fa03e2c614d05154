"""Per-dim information (factors) and 2-D embeddings of encoded items; results are cached per run version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from models import Dataset, LpNested, Prior, StandardNormal, factor_mutual_information, factor_table_warnings
from models import factor_table as evaluate_factors

from ..config import Settings
from ..convert import to_int_lists, to_lists, to_numpy
from ..errors import InvalidInput, LimitExceeded
from ..inference import InferenceExecutor
from ..store import LoadedRun, RunStore


def check_n(n: int, settings: Settings) -> None:
    if n > settings.max_embedding_n:
        raise LimitExceeded("max_embedding_n", n, settings.max_embedding_n, "n")


def sample_items(dataset: Dataset, n: int, seed: int) -> np.ndarray:
    """min(n, N) distinct item indices, sorted; a pure function of (N, n, seed)."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(len(dataset), size=min(n, len(dataset)), replace=False))


@dataclass(frozen=True)
class Encoded:
    index: np.ndarray  # (N,)
    mu: np.ndarray  # (N, K) float64
    logvar: np.ndarray  # (N, K) float64


def encoded(store: RunStore, loaded: LoadedRun, executor: InferenceExecutor, n: int, seed: int) -> Encoded:
    def compute() -> Encoded:
        index = sample_items(loaded.dataset, n, seed)
        mu, logvar = executor.run(loaded, "encode", torch.from_numpy(loaded.dataset.items(index)))
        return Encoded(index, to_numpy(mu).astype(np.float64), to_numpy(logvar).astype(np.float64))

    return store.memo((loaded.run_id, loaded.version, "encoded", n, seed), compute)


def factor_table(store: RunStore, loaded: LoadedRun, executor: InferenceExecutor, n: int, seed: int
                 ) -> dict[str, Any]:
    """models.evaluation.factor_table of ``n`` items, its collapse warnings, on the inference thread; cached per
    run version."""

    def compute() -> dict[str, Any]:
        table = executor.call(loaded, lambda model: {**evaluate_factors(model, loaded.dataset, n=n, seed=seed),
                                                     "prior": prior_view(model.prior)})
        return {**table, "warnings": factor_table_warnings(table)}

    return store.memo((loaded.run_id, loaded.version, "factors", n, seed), compute)


def prior_view(prior: Prior) -> dict[str, Any]:
    """The run's prior for the API: its kind, and for an Lp-nested prior its root exponent, scale and subspaces
    (dims, current and initial inner exponent)."""
    if isinstance(prior, StandardNormal):
        return {"kind": "standard_normal"}
    if not isinstance(prior, LpNested):
        return {"kind": type(prior).__name__}
    p, p_init = prior.p_inner.detach().cpu().tolist(), prior.p_inner_init.cpu().tolist()  # (l,) each
    starts = np.cumsum([0, *prior.subspace_sizes]).tolist()
    subspaces = [{"dims": list(range(a, b)), "p": p_i, "p_init": p0_i}
                 for a, b, p_i, p0_i in zip(starts[:-1], starts[1:], p, p_init, strict=True)]
    return {"kind": "lp_nested", "p0": prior.p0, "scale": prior.scale,
            "learn_inner": isinstance(prior.p_inner_raw, torch.nn.Parameter), "subspaces": subspaces}


@dataclass(frozen=True)
class Embedding:
    axes: list[str]
    explained: list[float] | None
    coords: np.ndarray  # (N, 2)


def check_dims(dim_x: int | None, dim_y: int | None, method: str, latent_dim: int) -> tuple[int, int] | None:
    """(dim_x, dim_y) of method=dims (default (0, 1)): 422 naming the field when one is not below ``latent_dim`` or
    both are the same dim; None for another method, which takes neither."""
    if method != "dims":
        for name, value in (("dim_x", dim_x), ("dim_y", dim_y)):
            if value is not None:
                raise InvalidInput(f"query.{name}", f"is used with method=dims only; expected no {name} with "
                                   f"method={method}")
        return None
    dims = (0 if dim_x is None else dim_x, 1 if dim_y is None else dim_y)
    for name, value in zip(("dim_x", "dim_y"), dims, strict=True):
        if value >= latent_dim:
            raise InvalidInput(f"query.{name}", f"expected a latent dim below the run's latent_dim = {latent_dim}, "
                               f"got {value}")
    if dims[0] == dims[1]:
        raise InvalidInput("query.dim_y", f"expected another dim than dim_x = {dims[0]}")
    return dims


def embed(enc: Encoded, method: str, dims: tuple[int, int] | None = None) -> Embedding:
    """2-D coordinates of the posterior means: PCA (numpy SVD), the two most informative dims, or ``dims`` (the
    pair ``check_dims`` gave, for method ``dims``)."""
    if method == "dims":
        if dims is None:
            raise ValueError("method 'dims' needs the (dim_x, dim_y) check_dims gave")
        return Embedding([f"z{dims[0]}", f"z{dims[1]}"], None, enc.mu[:, list(dims)])
    if method == "mi":
        top = np.argsort(-factor_mutual_information(enc.mu, enc.logvar, "gaussian"), kind="stable")[:2]
        coords = _two_columns(enc.mu[:, top])
        return Embedding([f"z{d}" for d in top] + ([] if len(top) == 2 else ["(none)"]), None, coords)
    centred = enc.mu - enc.mu.mean(axis=0)  # (N, K)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    vt = vt * np.where(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)] < 0, -1.0, 1.0)[:, None]  # sign: fixed
    coords = _two_columns(centred @ vt[:2].T)
    power = s**2
    explained = (power / power.sum() if power.sum() > 0 else np.zeros_like(power))[:2].tolist()
    return Embedding(["PC1", "PC2"], explained + [0.0] * (2 - len(explained)), coords)


def _two_columns(a: np.ndarray) -> np.ndarray:
    """(N, 1 or 2) -> (N, 2), a zero column added for one-dim latents."""
    return a if a.shape[1] == 2 else np.concatenate([a, np.zeros((len(a), 2 - a.shape[1]))], axis=1)


def labels(dataset: Dataset, index: np.ndarray) -> tuple[dict[str, list[int]], dict[str, list[float]]]:
    info = dataset.info
    factors, attributes = dataset.factors(index), dataset.attributes(index)
    return ({name: to_int_lists(factors[:, j]) for j, name in enumerate(info.factor_names)},
            {name: to_lists(attributes[:, j]) for j, name in enumerate(info.attribute_names)})


def embedding_view(loaded: LoadedRun, index: np.ndarray, method: str, emb: Embedding) -> dict[str, Any]:
    """EmbeddingPublic's content: the (N,) items ``index`` at ``emb``'s (N, 2) coordinates, with their labels."""
    factors, attributes = labels(loaded.dataset, index)
    return {"run_id": loaded.run_id, "version": loaded.version, "method": method, "axes": emb.axes,
            "explained_variance": emb.explained, "index": to_int_lists(index), "x": to_lists(emb.coords[:, 0]),
            "y": to_lists(emb.coords[:, 1]), "factors": factors, "attributes": attributes}
