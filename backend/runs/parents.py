"""Runs built on other runs. A child's config pins its parent's run id and version (``pin_parent``, at creation);
whoever loads the child resolves the parent first and attaches it (``resolve_parent``); a parent whose version
is no longer the pinned one is a ``StaleParent``; a parent's children are found by scanning the runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from models import ConfigError, FamilySpec, LatentModel, ParentRef, build_model

from .folders import RunNotFoundError, list_runs, read_header, read_record
from .records import RunRecord, parent_field, record_of

ParentLoader = Callable[[str], tuple[LatentModel, RunRecord]]  # run id -> (its loaded model, its record)


class StaleParent(ValueError):
    """A run's parent is no longer at the version its config pins (retrained, replaced, deleted)."""

    def __init__(self, ref: ParentRef, current: str | None, child: str | None, gone: bool = False) -> None:
        now = ("is no longer in this artifact store" if gone else
               f"is now at version {current}" if current else "has no trained weights now")
        if child is None:  # asked for at creation
            text = (f"parent run {ref.run_id!r} {now}, not version {ref.version}; expected its current version "
                    "(or no version, to build on the current one)")
        else:
            redo = "delete the child" if gone else f"create the child again on the current {ref.run_id!r}"
            text = (f"run {child!r} is built on run {ref.run_id!r} at version {ref.version}, but {ref.run_id!r} "
                    f"{now}; expected its parent at version {ref.version}: {redo} (or put back version "
                    f"{ref.version} of the parent's weights)")
        super().__init__(text)
        self.ref, self.current, self.child = ref, current, child


def pin_parent(home: Path, spec: FamilySpec, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with its parent reference (``{"run_id": ...}``, optionally ``"version"``) pinned to that run's
    current version. ConfigError for a reference that is not an object, a run that does not exist or is not
    finished; StaleParent for a version that is not the current one. A family without a parent: unchanged."""
    name = parent_field(spec.config_cls)
    ref = config.get(name) if name else None
    if name is None or ref is None:
        return config
    where = f"{spec.config_cls.__name__}.{name}"
    if not isinstance(ref, dict) or not isinstance(ref.get("run_id"), str) or set(ref) - {"run_id", "version"}:
        raise ConfigError(f"{where}: expected {{\"run_id\": a finished run's id}} (and optionally its \"version\"), "
                          f"got {ref!r}")
    try:
        parent = read_record(home, ref["run_id"])
    except RunNotFoundError as err:
        raise ConfigError(f"{where}: {err}; expected the id of a finished run (GET /api/v1/runs)") from err
    if parent.version is None:
        raise ConfigError(f"{where}: run {parent.run_id!r} has no trained weights yet; expected a finished run")
    if ref.get("version") not in (None, parent.version):
        raise StaleParent(ParentRef(parent.run_id, str(ref["version"])), parent.version, child=None)
    return {**config, name: {"run_id": parent.run_id, "version": parent.version}}


def pinned_parent(home: Path, record: RunRecord) -> RunRecord | None:
    """The record of the run ``record`` is built on, checked to be at the pinned version (StaleParent otherwise);
    None for a run without a parent."""
    ref = record.parent
    if ref is None:
        return None
    try:
        parent = read_record(home, ref.run_id)
    except RunNotFoundError as err:
        raise StaleParent(ref, None, record.run_id, gone=True) from err
    if parent.version != ref.version:
        raise StaleParent(ref, parent.version, record.run_id)
    return parent


def resolve_parent(home: Path, record: RunRecord, load: ParentLoader) -> LatentModel | None:
    """The loaded parent of ``record`` (None for a run without one), loaded by ``load`` once its version is checked
    (so a stale parent is never loaded), and checked again after (it may change while it loads)."""
    expected = pinned_parent(home, record)
    if expected is None:
        return None
    model, loaded = load(expected.run_id)
    if loaded.version != expected.version:
        raise StaleParent(record.parent, loaded.version, record.run_id)  # type: ignore[arg-type]
    return model


def meta_parent(home: Path, run_id: str) -> LatentModel:
    """Run ``run_id``'s module with its own parents attached, built without weights: call it under
    ``torch.device("meta")`` to check and count a child's module without memory."""
    header = read_header(home, run_id)
    parent = pinned_parent(home, record_of(header))
    return build_model(header, meta_parent(home, parent.run_id) if parent else None)


def children_of(home: Path, run_id: str) -> list[str]:
    """The runs built on ``run_id`` (any version), sorted."""
    return sorted(r.run_id for r in list_runs(home) if r.parent is not None and r.parent.run_id == run_id)


def descendants(home: Path, run_id: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """Every run built on ``run_id``, directly or not, each after the runs built on it (an order to delete in).
    ``seen``: the runs above this one, so a cycle (a run made anew under a deleted parent's id on top of that
    parent's stale child) ends instead of recursing forever."""
    seen = seen | {run_id}
    order: list[str] = []
    for child in children_of(home, run_id):
        if child not in seen and child not in order:
            order += [d for d in descendants(home, child, seen) if d not in order] + [child]
    return order
