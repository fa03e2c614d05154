"""What the lens routes answer: lens records under their base run, summaries and details, the z* embedding and
the manipulation grid (seed 001 Fig. 2: attribute A's z* coordinate along the columns, B's down the rows, around
an item's z*, decoded through E p(z | z*) and the base run's decoder)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ..config import Settings
from ..convert import to_int_lists, to_lists
from ..errors import InvalidInput, LimitExceeded
from ..inference import InferenceExecutor
from ..jobs import Job, JobStore
from ..runs import RunNotFoundError, RunRecord, StaleParent, archived_dir, pinned_parent, run_dir
from ..schemas.lenses import ManipulationQuery
from ..services.analysis import sample_items
from ..services.catalog import run_status
from ..store import LoadedRun, RunStore
from .create import FAMILY, base_dataset, lens_of
from .labels import LABELS_FILE, load_labels, summary

KIND = "lens_fit"


def lens_records(store: RunStore, run_id: str) -> list[RunRecord]:
    """The lenses built on run ``run_id`` (any version), newest first."""
    return [r for r in store.records() if r.family == FAMILY and r.parent is not None and r.parent.run_id == run_id]


def lens_record(store: RunStore, run_id: str, lens_id: str) -> RunRecord:
    """The record of lens ``lens_id`` on run ``run_id``; 404 when there is no such lens on that run."""
    store.record(run_id)  # 404 for the base run first
    try:
        record = store.record(lens_id)
    except RunNotFoundError:
        record = None
    if record is None or record.family != FAMILY or record.parent is None or record.parent.run_id != run_id:
        raise RunNotFoundError(f"no lens {lens_id!r} on run {run_id!r}; expected one listed by "
                               f"GET /api/v1/runs/{run_id}/lenses")
    return record


def fit_jobs(jobs: JobStore) -> dict[str, Job]:
    """lens id -> its newest lens_fit job."""
    return jobs.newest_by_run(KIND)


def lens_summary(record: RunRecord, job: Job | None) -> dict[str, Any]:
    status, error = run_status(record, job)
    if record.finished and job is not None and job.state in ("queued", "running"):
        status = "refitting"
    elif record.finished and job is not None and job.state == "failed":
        error = f"the last refit failed: {job.error}"  # the lens stays at its last version
    assert record.parent is not None
    return {"lens_id": record.run_id, "run_id": record.parent.run_id, "version": record.version,
            "parent_version": record.parent.version, "status": status, "job_id": job.job_id if job else None,
            "error": error, "variant": record.config["variant"], "k": record.config["latent_dim"],
            "attributes": [a["name"] for a in record.config["attributes"]], "created": record.created}


def lens_detail(store: RunStore, record: RunRecord, job: Job | None) -> dict[str, Any]:
    """The lens at ``record``'s version: its current one, or an older one it kept (versions/)."""
    kept = archived_dir(store.home, record.run_id, record.version) if record.version else None
    folder = kept if kept is not None and not store.is_current(record) else run_dir(store.home, record.run_id)
    metrics = store.read_or_none(record.run_id, "metrics.json", record.version) or {}
    labels = summary(load_labels(folder, base_dataset(record))) if (folder / LABELS_FILE).is_file() else None
    try:
        pinned_parent(store.home, record)
        stale = None
    except StaleParent as err:
        stale = str(err)
    return {**lens_summary(record, job), "config": record.config, "train": record.train, "labels": labels,
            "score": metrics.get("score"), "training": metrics.get("training"), "stale_parent": stale}


def check_attribute(record: RunRecord, name: str, field: str) -> int:
    """The head index of attribute ``name`` in the lens; 422 naming ``field`` for one it lacks."""
    names = [a["name"] for a in record.config["attributes"]]
    if name not in names:
        raise InvalidInput(field, f"the lens has no attribute {name!r}; expected one of {names}")
    return names.index(name)


def attribute_dim(loaded: LoadedRun, score: dict[str, Any] | None, name: str) -> int:
    """The z* coordinate most informative about ``name``: FILVM's own coordinate; ILVM's, the score's chosen
    dim (the largest plug-in MI on the training items), or without one, the largest head weight."""
    lens = lens_of(loaded.model)
    owned = lens.owned_coordinates().get(name)
    if owned is not None:
        return int(owned)
    row = ((score or {}).get("attributes", {}).get(name) or {}).get("lens") or {}
    if row.get("dim") is not None:
        return int(row["dim"])
    j = [s.name for s in lens.config.attributes].index(name)
    linear = lens.heads.linear[j]
    assert isinstance(linear, nn.Linear)
    return int(linear.weight.detach().norm(dim=0).argmax())  # weight (C, k): the coordinate it reads most


def encode_items(loaded: LoadedRun, executor: InferenceExecutor, index: np.ndarray) -> np.ndarray:
    """z* (mean path) of the items, (N, k) float64."""
    mu, _ = executor.run(loaded, "encode", torch.from_numpy(loaded.dataset.items(index)))
    return mu.double().numpy()


def embedding_view(store: RunStore, loaded: LoadedRun, executor: InferenceExecutor, attribute: str, n: int,
                   seed: int) -> dict[str, Any]:
    """z* of a seeded sample of n items; x, y = the attribute's coordinate and the next attribute's (or the next
    coordinate), with the attribute's values."""
    check_attribute(loaded.record, attribute, "query.attribute")
    score = store.read_or_none(loaded.run_id, "metrics.json", loaded.version) or {}
    index = sample_items(loaded.dataset, n, seed)
    z_star = store.memo((loaded.run_id, loaded.version, "lens-z", n, seed),
                        lambda: encode_items(loaded, executor, index))
    names = [a["name"] for a in loaded.record.config["attributes"]]
    k = z_star.shape[1]
    dx = attribute_dim(loaded, score.get("score"), attribute)
    others = [attribute_dim(loaded, score.get("score"), a) for a in names if a != attribute]
    dy = next((d for d in others if d != dx), (dx + 1) % k)
    return {"lens_id": loaded.run_id, "version": loaded.version, "attribute": attribute,
            "axes": [f"z*{dx}", f"z*{dy}"], "index": to_int_lists(index), "x": to_lists(z_star[:, dx]),
            "y": to_lists(z_star[:, dy]), "z_star": to_lists(z_star),
            "values": to_lists(loaded.dataset.attribute_values(attribute, index).astype(np.float64))}


@dataclass(frozen=True)
class ManipulationSpec:
    item: int
    a: str
    b: str | None
    steps: int
    span: float

    def canonical(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @property
    def rows(self) -> int:
        return self.steps if self.b else 1


def manipulation_spec(record: RunRecord, q: ManipulationQuery, settings: Settings) -> ManipulationSpec:
    """The grid's parameters checked against the lens and the limits (before any model work)."""
    check_attribute(record, q.a, "query.a")
    if q.b is not None:
        check_attribute(record, q.b, "query.b")
    if q.steps > settings.max_steps:
        raise LimitExceeded("max_steps", q.steps, settings.max_steps, "steps")
    spec = ManipulationSpec(int(q.base.partition(":")[2]), q.a, q.b, q.steps, q.span)
    if spec.rows * spec.steps > settings.max_traversal_cells:
        raise LimitExceeded("max_traversal_cells", spec.rows * spec.steps, settings.max_traversal_cells,
                            f"rows x columns ({spec.rows} x {spec.steps})")
    n_items = base_dataset(record).info.n_items
    if not 0 <= spec.item < n_items:
        raise InvalidInput("query.base", f"item {spec.item} is out of range; expected 0..{n_items - 1}")
    return spec


def manipulate(store: RunStore, loaded: LoadedRun, executor: InferenceExecutor, spec: ManipulationSpec
               ) -> np.ndarray:
    """Decoded grid (rows * steps, *shape), row-major: column c moves A's coordinate by t_c, row r B's by t_r,
    t = linspace(-span, span, steps), around the item's z*."""
    score = (store.read_or_none(loaded.run_id, "metrics.json", loaded.version) or {}).get("score")
    base = encode_items(loaded, executor, np.array([spec.item]))[0]  # (k,)
    offsets = np.linspace(-spec.span, spec.span, spec.steps)
    grid = np.repeat(base[None, :], spec.rows * spec.steps, axis=0)  # (R*S, k)
    grid[:, attribute_dim(loaded, score, spec.a)] += np.tile(offsets, spec.rows)
    if spec.b is not None:
        grid[:, attribute_dim(loaded, score, spec.b)] += np.repeat(offsets, spec.steps)
    (outputs,) = executor.run(loaded, "decode", torch.from_numpy(grid).float())
    return outputs.numpy()
