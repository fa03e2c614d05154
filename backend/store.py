"""RunStore: the runs under FACTORSCOPE_HOME/runs, with trained models loaded lazily into a bounded
LRU cache. A run's version is read from its config.json on every request, so a model whose weights
changed on disk is reloaded, and a deleted run is evicted. Knows nothing of requests or routes.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from models import (
    CONFIG_FILE,
    CheckpointError,
    ConfigError,
    Dataset,
    LatentModel,
    TrainConfig,
    UnknownDatasetError,
    UnknownFamilyError,
    config_from_dict,
    get_dataset,
    get_family,
    read_json,
)

from .errors import HasChildren, InvalidInput, LimitExceeded, RunExists, StillTraining, VersionMismatch
from .runs import (
    ModelLimits,
    ModelTooLarge,
    RunNotFoundError,
    RunRecord,
    StaleParent,
    archived_dir,
    check_run_size,
    checked_record,
    children_of,
    create_run,
    delete_run,
    descendants,
    list_runs,
    load_run,
    pinned_parent,
    purge_deleted,
    read_config,
    read_record,
    run_dir,
)

T = TypeVar("T")
MODEL_LIMITS = {"parameters": ("max_model_params", "the parameter count"),  # ModelTooLarge.unit -> (setting, what)
                "layers": ("max_model_layers", "the layer count")}


@dataclass(frozen=True)
class LoadedRun:
    """A finished run ready for inference: its record, model (eval mode, on the device) and dataset."""

    record: RunRecord
    model: LatentModel
    dataset: Dataset

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def version(self) -> str:
        assert self.record.version is not None
        return self.record.version

    @property
    def latent_dim(self) -> int:
        return self.model.latent_dim


def serving_layout(model: LatentModel, device: torch.device) -> LatentModel:
    """On a CPU, transposed-conv weights in channels-last order: oneDNN then skips a layout reorder per pass
    (the 64x64 conv decoder: ~20% less CPU per row, bitwise the same outputs; see README). The encoder's
    convs stay as trained: channels-last changes their last bits."""
    if device.type == "cpu":
        for module in model.modules():
            if isinstance(module, nn.ConvTranspose2d):
                # torch's stub for Module.to lacks the documented memory_format-only overload
                module.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    return model


class LRU:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size, self._items, self._lock = size, OrderedDict[Hashable, Any](), threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def drop(self, match: Callable[[Hashable], bool]) -> None:
        with self._lock:
            for key in [k for k in self._items if match(k)]:
                del self._items[key]

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


@dataclass(frozen=True)
class CreateLimits:
    max_steps: int
    max_params: int
    max_layers: int
    max_batch: int

    @property
    def model(self) -> ModelLimits:
        return ModelLimits(parameters=self.max_params, layers=self.max_layers)


def too_large(err: ModelTooLarge) -> LimitExceeded:
    """The 422 naming the setting a model is over."""
    setting, what = MODEL_LIMITS[err.unit]
    return LimitExceeded(setting, err.count, err.maximum, what)


def check_train(train: TrainConfig, limits: CreateLimits) -> None:
    """422 for more steps or a bigger batch than allowed, more CPU threads than this machine has, or a device
    it lacks (the worker shares its devices)."""
    if train.steps > limits.max_steps:
        raise LimitExceeded("max_train_steps", train.steps, limits.max_steps, "train.steps")
    if train.batch_size > limits.max_batch:
        raise LimitExceeded("max_train_batch", train.batch_size, limits.max_batch, "train.batch_size")
    cpus = len(os.sched_getaffinity(0))  # the CPUs this process may use (a container's share too)
    if train.threads > cpus:
        raise InvalidInput("body.train", f"threads is {train.threads}, but this server may use {cpus} CPUs; "
                                         f"expected 0 (torch's default) to {cpus}")
    kind, _, index = train.device.partition(":")
    if kind == "cuda" and int(index or 0) >= torch.cuda.device_count():
        raise InvalidInput("body.train", f"device {train.device!r} is not on this machine ({torch.cuda.device_count()} "
                                         "CUDA devices); expected 'auto' or 'cpu'")


class RunStore:
    def __init__(self, home: Path, device: torch.device, cache_size: int, results_cache_size: int = 32) -> None:
        self.home, self.device = home, device
        self.models = LRU(cache_size)  # run_id -> LoadedRun
        self.results = LRU(results_cache_size)  # (run_id, version, ...) -> derived arrays
        self._load_lock = threading.RLock()  # re-entered when a child run loads its parent through this cache
        (home / "runs").mkdir(parents=True, exist_ok=True)
        purge_deleted(home)

    # -- records -------------------------------------------------------------------------------------
    def records(self) -> list[RunRecord]:
        return list_runs(self.home)

    def record(self, run_id: str) -> RunRecord:
        if not (run_dir(self.home, run_id) / CONFIG_FILE).is_file():
            raise RunNotFoundError(f"no run {run_id!r}; expected one of the ids listed by GET /api/v1/runs")
        return read_record(self.home, run_id)  # CheckpointError (broken-run) naming what is wrong with it

    def ready(self, run_id: str, version: str | None = None) -> RunRecord:
        """The record of a finished run; 409 while it trains, when ``version`` is not the current one, or when the
        run is built on a parent that is no longer at its pinned version (StaleParent)."""
        record = self.record(run_id)
        if record.version is None:
            raise StillTraining(f"run {run_id!r} has no trained weights: it is still training, or its training job "
                                f"failed or was cancelled (GET /api/v1/runs/{run_id} says which); expected a "
                                "finished run")
        if version is not None and version != record.version:
            record = self._kept(run_id, version, record.version)
        pinned_parent(self.home, record)
        return record

    def _kept(self, run_id: str, version: str, current: str) -> RunRecord:
        """The record of an older ``version`` of the run, kept in versions/ (``current`` says which is newer);
        VersionMismatch when the run never kept it."""
        folder = archived_dir(self.home, run_id, version)
        if folder is None:
            raise VersionMismatch(run_id, version, current)
        return checked_record({**read_config(folder / CONFIG_FILE), "run_id": run_id}, run_id)

    def is_current(self, record: RunRecord) -> bool:
        """Whether ``record`` (from ``ready``) is the run's current version, not an older kept one."""
        return self.record(record.run_id).version == record.version

    def read(self, run_id: str, name: str, version: str | None = None) -> Any | None:
        """A run's metrics.json / history.json content (of an older kept ``version`` when one is given), or None
        when it is not written yet; CheckpointError when the file is there but is not JSON."""
        kept = archived_dir(self.home, run_id, version) if version else None
        folder = kept if kept is not None and version != self.record(run_id).version else run_dir(self.home, run_id)
        path = folder / name
        return read_json(path) if path.is_file() else None

    def read_or_none(self, run_id: str, name: str, version: str | None = None) -> Any | None:
        """``read``, with None for an unreadable file too (a run's view still lists it)."""
        try:
            return self.read(run_id, name, version)
        except CheckpointError:
            return None

    # -- models --------------------------------------------------------------------------------------
    def load(self, record: RunRecord) -> LoadedRun:
        """The loaded model of ``record`` (a finished run, from ``ready``); reloaded when its version on disk changed.
        A run built on another gets its parent through this cache (loaded first). An older kept version (from
        ``ready`` with its ``v``) is cached beside the current one, under (run_id, version)."""
        cached = self.models.get(record.run_id)
        if cached is not None and cached.record.version == record.version:
            return cached
        if record.version and not self.is_current(record) and archived_dir(self.home, record.run_id, record.version):
            return self._load_kept(record)
        with self._load_lock:
            cached = self.models.get(record.run_id)
            if cached is not None and cached.record.version == record.version:
                return cached
            model, fresh = self._load_run(record.run_id)
            model = serving_layout(model, self.device)
            fresh = replace(fresh, run_id=record.run_id)
            loaded = LoadedRun(fresh, model, get_dataset(fresh.dataset))
            self.models.put(record.run_id, loaded)
            self.results.drop(lambda key: key[0] == record.run_id and key[1] != fresh.version)  # type: ignore[index]
            return loaded

    def _load_kept(self, record: RunRecord) -> LoadedRun:
        key = (record.run_id, record.version)
        with self._load_lock:
            cached = self.models.get(key)
            if cached is None:
                model, fresh = self._load_run(record.run_id, record.version)
                cached = LoadedRun(replace(fresh, run_id=record.run_id), serving_layout(model, self.device),
                                   get_dataset(fresh.dataset))
                self.models.put(key, cached)
            return cached

    def _load_run(self, run_id: str, version: str | None = None) -> tuple[LatentModel, RunRecord]:
        try:
            return load_run(self.home, run_id, self.device, self._parent, version)
        except CheckpointError:
            self.record(run_id)  # deleted while it loaded: 404, not a broken run
            raise

    def _parent(self, run_id: str) -> tuple[LatentModel, RunRecord]:
        """A parent run's (model, record) for ``load_run``, through this cache."""
        loaded = self.load(self.record(run_id))
        return loaded.model, loaded.record

    def memo(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """Cache a derived result under ``(run_id, version, ...)``."""
        value = self.results.get(key)
        if value is None:
            value = compute()
            self.results.put(key, value)
        return value

    # -- create / delete -----------------------------------------------------------------------------
    def create(self, family: str, dataset: str, config: dict[str, Any], train: dict[str, Any],
               limits: CreateLimits, run_id: str | None = None) -> RunRecord:
        """Validate everything (422 naming the field or the limit; 409 for a ``run_id`` in use) and write the
        run's config.json, marked as waiting for its job (the caller queues it next; ``runs.pending``)."""
        try:
            get_family(family)
        except UnknownFamilyError as err:
            raise InvalidInput("body.family", str(err)) from err
        try:
            get_dataset(dataset)
        except UnknownDatasetError as err:
            raise InvalidInput("body.dataset", str(err)) from err
        try:
            train_config = config_from_dict(TrainConfig, train)
        except ConfigError as err:
            raise InvalidInput("body.train", str(err)) from err
        check_train(train_config, limits)
        try:
            return create_run(self.home, family, config, dataset, train_config, run_id, limits.model, pending_job=True)
        except FileExistsError as err:
            raise RunExists(f"{err}; expected a new run_id (or none)") from err
        except StaleParent:  # a 409 of its own (errors.DOMAIN_ERRORS), not a config the family cannot build
            raise
        except ModelTooLarge as err:
            raise too_large(err) from err
        except ConfigError as err:
            raise InvalidInput("body.config", str(err)) from err
        except (ValueError, TypeError, RuntimeError) as err:  # from building it: the first line, never a C++ trace
            raise InvalidInput("body.config", "the model could not be built from this config ("
                               f"{str(err).strip().splitlines()[0]}); expected a config the family can build "
                               "(its schema: GET /api/v1/families)") from err

    def check_resume(self, record: RunRecord, limits: CreateLimits) -> None:
        """422 when a run made elsewhere (e.g. by the CLI) asks more of the worker than the API's limits allow."""
        check_train(config_from_dict(TrainConfig, record.train), limits)
        try:
            check_run_size(self.home, record.run_id, limits.model)
        except ModelTooLarge as err:
            raise too_large(err) from err

    def exists(self, run_id: str) -> None:
        """404 unless the run's folder is there (readable or not)."""
        if not run_dir(self.home, run_id).is_dir():
            raise RunNotFoundError(f"no run {run_id!r}; expected one of the ids listed by GET /api/v1/runs")

    def deletion(self, run_id: str, with_children: bool) -> list[str]:
        """The runs deleting ``run_id`` removes, in order: those built on it (with ``with_children``; else a 409
        naming them), then the run itself."""
        children = children_of(self.home, run_id)
        if children and not with_children:
            raise HasChildren(f"run {run_id!r} has runs built on it: {', '.join(children)}; expected them deleted "
                              "first, or with_children=true to delete them with it", children=children)
        return [*descendants(self.home, run_id), run_id]

    def delete(self, run_id: str) -> None:
        """Remove the run's folder (also one whose config.json is unreadable); 404 when there is none. Its
        children are ``deletion``'s concern."""
        delete_run(self.home, run_id)
        self.evict(run_id)

    def evict(self, run_id: str) -> None:
        self.models.drop(lambda key: key == run_id or (isinstance(key, tuple) and key[0] == run_id))
        self.results.drop(lambda key: key[0] == run_id)  # type: ignore[index]
