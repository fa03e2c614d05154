"""Families, datasets and runs as the API lists them (plain dicts the response schemas validate)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from models.config import field_docs
from models.datasets import MissingExtraError, dataset_names, get_dataset
from models.registry import UnknownFamilyError, families, get_family
from models.runs import RunRecord

from ..jobs import Job, JobStore
from ..jobs.store import MAX_LIST
from ..store import RunStore

ITEM_URL = "/api/v1/datasets/{name}/items/{{index}}.png"


def family_views() -> list[dict[str, Any]]:
    return [{"name": spec.name, "summary": spec.summary, "capabilities": sorted(spec.capabilities),
             "config_schema": config_schema(spec.name), "defaults": spec.defaults()} for spec in families().values()]


@lru_cache(maxsize=64)
def config_schema(family: str) -> dict[str, Any]:
    """The family's config as a JSON schema, each field described (its ``Doc``) for the dashboard's form."""
    cls = get_family(family).config_cls
    schema = TypeAdapter(cls).json_schema()
    for name, text in field_docs(cls).items():
        schema["properties"][name]["description"] = text
    return schema


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
        return sorted(get_family(record.family).capabilities)
    except UnknownFamilyError:
        return []


def training_jobs(jobs: JobStore) -> dict[str, Job]:
    """run_id -> its newest training job (among the newest MAX_LIST training jobs)."""
    newest: dict[str, Job] = {}
    for job in jobs.list(limit=MAX_LIST, kind="train"):
        newest.setdefault(str(job.payload.get("run_id")), job)
    return newest


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
            "latent_dim": record.config.get("latent_dim"), "capabilities": capabilities(record)}


def run_detail(store: RunStore, record: RunRecord, job: Job | None) -> dict[str, Any]:
    return {**run_summary(record, job), "config": record.config, "train": record.train,
            "metrics": store.read_or_none(record.run_id, "metrics.json"),
            "history": store.read_or_none(record.run_id, "history.json")}


def dataset_item(name: str, index: int) -> np.ndarray | None:
    """(1, *shape) item ``index`` of dataset ``name``, or None when the index is out of range."""
    dataset = get_dataset(name)
    return dataset.items(np.array([index])) if 0 <= index < len(dataset) else None
