"""Latent-space views of a run: traversal, decode, reconstruct.

Each view is first a *spec*: the request's parameters resolved and checked against the run (dims in
range, limits) without loading the model, so that its ETag can be answered before any work is queued.
Randomness comes only from the request (``prior:<seed>``), so the same spec gives the same numbers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from models import LatentModel, get_dataset

from ..config import Settings
from ..convert import parse_floats, parse_ints, to_lists, to_numpy
from ..errors import InvalidInput, LimitExceeded
from ..inference import InferenceExecutor
from ..runs import RunRecord
from ..schemas import TraversalQuery
from ..store import LRU, LoadedRun

DEFAULT_DIMS = 10


def latent_dim(record: RunRecord) -> int:
    return int(record.config["latent_dim"])


@dataclass(frozen=True)
class TraversalSpec:
    dims: tuple[int, ...]
    steps: int
    span: float
    span_mode: str
    base: str

    def canonical(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class Traversal:
    spec: TraversalSpec
    base_z: np.ndarray  # (K,)
    values: np.ndarray  # (D, S): the value each traversed dim takes
    outputs: np.ndarray  # (D * S, *shape), row-major over (dim, step)


def traversal_spec(record: RunRecord, q: TraversalQuery, settings: Settings) -> TraversalSpec:
    k, steps = latent_dim(record), q.steps
    chosen = tuple(parse_ints(q.dims, "query.dims")) if q.dims else tuple(range(min(k, DEFAULT_DIMS)))
    check_dims(chosen, k)
    if steps > settings.max_steps:
        raise LimitExceeded("max_steps", steps, settings.max_steps, "steps")
    if len(chosen) * steps > settings.max_traversal_cells:
        raise LimitExceeded("max_traversal_cells", len(chosen) * steps, settings.max_traversal_cells,
                            f"dims x steps ({len(chosen)} x {steps})")
    check_base(record, q.base)
    return TraversalSpec(chosen, steps, q.span, q.span_mode, q.base)


def check_dims(dims: tuple[int, ...], k: int) -> None:
    bad = [d for d in dims if not 0 <= d < k]
    if bad:
        raise InvalidInput("query.dims", f"dims {bad} are out of range; expected integers in 0..{k - 1} (K = {k})")


def check_base(record: RunRecord, base: str) -> None:
    kind, _, arg = base.partition(":")
    if kind == "item":
        check_items(record, [int(arg)], "query.base")


def check_items(record: RunRecord, items: list[int], field: str) -> None:
    n = get_dataset(record.dataset).info.n_items
    bad = [i for i in items if not 0 <= i < n]
    if bad:
        raise InvalidInput(field, f"items {bad[:5]} are out of range; expected dataset indices in 0..{n - 1}")


# The centre each base names, and the unit of span_mode=sd around it (the traversal JSON says both).
CENTRES = {"item": "posterior_mean", "prior": "prior_sample", "zero": "prior_median"}
PRIOR_QUANTILES = LRU(256)  # (run_id, version, scores) -> (P, K) float64: the prior's quantiles at Phi(scores)


def span_unit(spec: TraversalSpec) -> str:
    """What one unit of ``span`` is: the base item's posterior sd (sd around an item), the prior's quantiles at
    Phi(t) (prior; sd around another base), or latent units (abs)."""
    if spec.span_mode == "abs":
        return "latent"
    return "posterior_sd" if spec.span_mode == "sd" and spec.base.startswith("item:") else "prior_quantile"


def prior_quantiles(loaded: LoadedRun, executor: InferenceExecutor, scores: np.ndarray) -> np.ndarray:
    """(P, K) float64, cached per run version: the prior's marginal quantiles at Phi(t) for the P scores t (t
    itself for a standard normal prior; t = 0 gives the marginal medians)."""
    key = (loaded.run_id, loaded.version, scores.tobytes())
    table = PRIOR_QUANTILES.get(key)
    if table is None:
        at = torch.from_numpy(scores)
        table = to_numpy(executor.call(loaded, lambda model: quantiles_at(model, at))).astype(np.float64)
        PRIOR_QUANTILES.put(key, table)
    return table


def quantiles_at(model: LatentModel, scores: torch.Tensor) -> torch.Tensor:
    """(P,) -> (P, K): the model's prior's marginal quantiles at Phi(scores); 422 where they cannot be named."""
    try:
        table = model.prior.marginal_quantiles_at_scores(scores)
    except ValueError as err:
        raise InvalidInput("query.span", f"the prior's quantiles at Phi(±span) cannot be computed ({err}); "
                                         "expected a smaller span in sd mode around a prior or zero base, or "
                                         "span_mode=abs") from err
    if not bool(torch.isfinite(table).all()):
        raise InvalidInput("query.span", "the prior's quantiles at Phi(±span) are not finite; expected a smaller span "
                                         "in sd mode around a prior or zero base, or span_mode=abs")
    return table


def offsets(spec: TraversalSpec) -> np.ndarray:
    """(S,) the span's evenly spaced steps t in [-span, span]."""
    return np.linspace(-spec.span, spec.span, spec.steps)


def base_point(loaded: LoadedRun, executor: InferenceExecutor, base: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The centre (K,) float64 and its posterior sd (K,) at an item (``item:<index>``); else a seeded draw from the
    run's own prior (``prior:<seed>``) or the prior's marginal medians (``zero``), and None (the steps around
    those are the prior's quantiles)."""
    kind, _, arg = base.partition(":")
    if kind == "item":
        x = torch.from_numpy(loaded.dataset.items(np.array([int(arg)])))
        mu, logvar = executor.run(loaded, "encode", x)
        return to_numpy(mu[0]).astype(np.float64), np.exp(0.5 * to_numpy(logvar[0]).astype(np.float64))
    if kind == "prior":
        z = executor.call(loaded, lambda model: model.prior.sample(1, _generator(model, int(arg))))
        return to_numpy(z[0]).astype(np.float64), None
    return prior_quantiles(loaded, executor, np.zeros(1))[0], None


def _generator(model: torch.nn.Module, seed: int) -> torch.Generator:
    return torch.Generator(device=next(model.parameters()).device).manual_seed(seed)


def step_values(loaded: LoadedRun, executor: InferenceExecutor, spec: TraversalSpec, centre: np.ndarray,
                sd: np.ndarray | None) -> np.ndarray:
    """(D, S) float32: the value each traversed dim takes. abs: centre + t; sd around an item: centre + t x its
    posterior sd; sd around a prior base: the prior's quantiles at Phi(t), moved from the median to the centre
    (exactly Q(Phi(t)) around zero, exactly centre + t for a standard normal prior)."""
    dims, t = list(spec.dims), offsets(spec)
    unit = span_unit(spec)
    if unit == "prior_quantile":
        steps = prior_quantiles(loaded, executor, t)[:, dims].T  # (D, S)
        median = prior_quantiles(loaded, executor, np.zeros(1))[0, dims]  # (D,)
        values = steps + (centre[dims] - median)[:, None]
    else:
        scale = sd[dims] if sd is not None and unit == "posterior_sd" else np.ones(len(dims))  # (D,)
        values = centre[dims, None] + scale[:, None] * t[None, :]
    return values.astype(np.float32)


def traverse(loaded: LoadedRun, executor: InferenceExecutor, spec: TraversalSpec) -> Traversal:
    centre, sd = base_point(loaded, executor, spec.base)
    values = step_values(loaded, executor, spec, centre, sd)  # (D, S)
    z = np.repeat(centre[None].astype(np.float32), values.size, axis=0)  # (D * S, K)
    z[np.arange(values.size), np.repeat(spec.dims, spec.steps)] = values.reshape(-1)
    (outputs,) = executor.run(loaded, "decode", torch.from_numpy(z))
    return Traversal(spec, centre, values, finite(to_numpy(outputs), "query.span"))


def traversal_view(loaded: LoadedRun, result: Traversal, with_outputs: bool) -> dict[str, Any]:
    spec, (d, s) = result.spec, result.values.shape
    outputs = to_lists(result.outputs.reshape(d, s, -1)) if with_outputs else None
    return {"run_id": loaded.run_id, "version": loaded.version, "dims": list(spec.dims), "steps": spec.steps,
            "span": spec.span, "span_mode": spec.span_mode, "span_unit": span_unit(spec),
            "centre": CENTRES[spec.base.partition(":")[0]], "base": spec.base, "base_z": to_lists(result.base_z),
            "values": to_lists(result.values), "shape": list(result.outputs.shape[1:]), "outputs": outputs}


def decode_vectors(loaded: LoadedRun, executor: InferenceExecutor, z: torch.Tensor, field: str) -> np.ndarray:
    """(B, K) -> (B, *shape) decoded means; 422 naming ``field`` (where z came from) when they overflow."""
    (outputs,) = executor.run(loaded, "decode", z)
    return finite(to_numpy(outputs), field)


def finite(outputs: np.ndarray, field: str) -> np.ndarray:
    """``outputs``, unless latent values so far out that the decoder overflowed made some inf or NaN."""
    if not np.isfinite(outputs).all():
        raise InvalidInput(field, "these latent values are too far out to decode (the outputs overflowed to "
                                  "inf or NaN); expected values nearer the prior, e.g. |z| < 1e4")
    return outputs


def decode_view(loaded: LoadedRun, outputs: np.ndarray) -> dict[str, Any]:
    return {"run_id": loaded.run_id, "version": loaded.version, "shape": list(outputs.shape[1:]),
            "outputs": to_lists(outputs.reshape(len(outputs), -1))}


def parse_latent(record: RunRecord, text: str) -> tuple[float, ...]:
    values = parse_floats(text, "query.z")
    k = latent_dim(record)
    if len(values) != k:
        raise InvalidInput("query.z", f"expected {k} numbers (the run's latent dim), got {len(values)}")
    return tuple(values)


def item_list(record: RunRecord, text: str, settings: Settings) -> list[int]:
    items = parse_ints(text, "query.items")
    if len(items) > settings.max_items:
        raise LimitExceeded("max_items", len(items), settings.max_items, "the number of items")
    check_items(record, items, "query.items")
    return items


def reconstruct(loaded: LoadedRun, executor: InferenceExecutor, items: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Originals and reconstructions decode(mu(x)), both (B, *shape)."""
    x = loaded.dataset.items(np.asarray(items))
    (recon,) = executor.run(loaded, "reconstruct", torch.from_numpy(x))
    return x, to_numpy(recon)
