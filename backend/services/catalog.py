"""Families, datasets and runs as the API lists them (plain dicts the response schemas validate)."""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from typing import Any

import numpy as np

from models import (
    Grouped,
    HasPrior,
    MissingExtraError,
    PredictsAttributes,
    UnknownFamilyError,
    collapse_warning,
    dataset_names,
    factor_table_warnings,
    families,
    get_dataset,
    get_family,
)

from ..errors import InvalidInput
from ..jobs import Job, JobStore
from ..jobs.handlers import TRAINING_KINDS
from ..lenses.create import FAMILY as LENS_FAMILY
from ..runs import RunRecord
from ..schemas.configs import config_class_schema
from ..store import RunStore

ITEM_URL = "/api/v1/datasets/{name}/items/{{index}}.png"
# The names the API lists under "capabilities" (the dashboard filters runs on them), each read off a Protocol
CAPABILITIES: dict[str, type] = {"attributes": PredictsAttributes, "group_heatmap": Grouped, "traversal": HasPrior}
# Families whose runs another route makes: POST /runs refuses them and the training form leaves them out
MADE_ELSEWHERE = {LENS_FAMILY: "POST /api/v1/runs/{run_id}/lenses"}


def capabilities_of(model_cls: type) -> list[str]:
    """The capability names whose Protocol the family's model class implements, sorted."""
    return sorted(name for name, protocol in CAPABILITIES.items() if issubclass(model_cls, protocol))


def family_views() -> list[dict[str, Any]]:
    return [{"name": spec.name, "summary": spec.summary, "capabilities": capabilities_of(spec.model_cls),
             "config_schema": config_schema(spec.name), "defaults": spec.defaults(),
             "made_by": MADE_ELSEWHERE.get(spec.name)} for spec in families().values()]


def check_made_by_post_runs(family: str) -> None:
    """422 for a family whose runs another route makes (a lens needs its labels: POST .../lenses)."""
    if family in MADE_ELSEWHERE:
        raise InvalidInput("body.family", f"runs of family {family!r} are made by {MADE_ELSEWHERE[family]}; expected "
                           "a family that POST /api/v1/runs trains")


@lru_cache(maxsize=64)
def config_schema(family: str) -> dict[str, Any]:
    """The family's config as a JSON schema, each field described and bounded (schemas/configs.py)."""
    return config_class_schema(get_family(family).config_cls)


def dataset_views() -> dict[str, list[dict[str, Any]]]:
    """{"datasets": views of those that load here, "unavailable": [{name, reason}] for missing extras}."""
    views: dict[str, list[dict[str, Any]]] = {"datasets": [], "unavailable": []}
    for name in dataset_names():
        try:
            views["datasets"].append(dataset_view(name))
        except MissingExtraError as err:
            views["unavailable"].append({"name": name, "reason": str(err)})
    return views


def dataset_view(name: str) -> dict[str, Any]:
    return {**get_dataset(name).info.to_json(), "item_url": ITEM_URL.format(name=name)}


def capabilities(record: RunRecord) -> list[str]:
    try:
        return capabilities_of(get_family(record.family).model_cls)
    except UnknownFamilyError:
        return []


def training_jobs(jobs: JobStore) -> dict[str, Job]:
    """run_id -> its newest training job (a run's `train`, a lens's `lens_fit`; one query on jobs.run_id, however
    many other jobs exist)."""
    return jobs.newest_by_run(*TRAINING_KINDS)


def run_status(record: RunRecord, job: Job | None) -> tuple[str, str | None]:
    """(status, error): a run without weights is training until its job ends failed or cancelled."""
    if record.finished:
        return "ready", None
    if job is not None and job.state in ("failed", "cancelled"):
        return job.state, job.error or job.message
    return "training", None


def run_summary(record: RunRecord, job: Job | None) -> dict[str, Any]:
    status, error = run_status(record, job)
    return {"run_id": record.run_id, "version": record.version, "family": record.family, "dataset": record.dataset,
            "created": record.created, "status": status, "job_id": job.job_id if job else None, "error": error,
            "latent_dim": record.config.get("latent_dim"), "capabilities": capabilities(record),
            "parent": asdict(record.parent) if record.parent else None}


def run_detail(store: RunStore, record: RunRecord, job: Job | None) -> dict[str, Any]:
    """The run at ``record``'s version (an older kept one when ``ready`` was asked for it)."""
    metrics = store.read_or_none(record.run_id, "metrics.json", record.version)
    return {**run_summary(record, job), "config": record.config, "train": record.train, "metrics": metrics,
            "history": store.read_or_none(record.run_id, "history.json", record.version),
            "latest_version": store.record(record.run_id).version, "warnings": run_warnings(metrics)}


def run_warnings(metrics: Any) -> list[str]:
    """A collapsed model's warning, from metrics.json: the report's factor table when the run was evaluated, else
    the total KL of training's last logged batch (families that log one); [] when neither says so."""
    metrics = metrics if isinstance(metrics, dict) else {}
    factors = (metrics.get("report") or {}).get("factors")
    if factors:
        return factor_table_warnings(factors)
    kl = ((metrics.get("training") or {}).get("train_terms") or {}).get("kl")
    warning = collapse_warning(total_kl=kl, source="training's last logged batch") if kl is not None else None
    return [warning] if warning else []


def attribute_view(name: str, span: tuple[int, int] | None) -> dict[str, Any]:
    """Dataset ``name``'s attribute schemas, and with ``span`` = (start, stop) every attribute's values there."""
    dataset = get_dataset(name)
    view: dict[str, Any] = {"dataset": name, "n_items": len(dataset),
                            "attributes": [a.to_json() for a in dataset.attribute_specs()]}
    if span is not None:
        items = np.arange(*span, dtype=np.int64)
        values = {a.name: dataset.attribute_values(a.name, items).tolist() for a in dataset.attribute_specs()}
        view |= {"start": span[0], "stop": span[1], "values": values}
    return view


def dataset_item(name: str, index: int) -> np.ndarray | None:
    """(1, *shape) item ``index`` of dataset ``name``, or None when the index is out of range."""
    dataset = get_dataset(name)
    return dataset.items(np.array([index])) if 0 <= index < len(dataset) else None
