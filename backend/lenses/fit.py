"""The ``lens_fit`` job's work: train a lens run (or refit it from its last weights after new labels) on its base
run's representation, score it, and write a new version.

Items: every labelled item plus a seeded sample of the rest, up to the config's ``max_items``; their
representation z (N, D) is the base run's encoder mean (deterministic, recomputed each fit). Progress goes to
``report(fraction, message)``; a non-finite loss fails the job with ``fit_lens``'s reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from models import (
    CONFIG_FILE,
    Dataset,
    FitProgress,
    LatentModel,
    TrainConfig,
    build_model,
    config_from_dict,
    cpu_threads,
    fit_lens,
    get_dataset,
    load_model,
    read_json,
    save_model,
    select_device,
    write_json,
)

from ..runs import RunNotFoundError, RunRecord, keep_version, load_run, owner_check, record_of, run_dir
from ..runs.parents import resolve_parent
from .create import lens_of
from .labels import Labels, commit, has_pending, load_labels
from .score import score_table

Report = Callable[[float, str], None]
ENCODE_CHUNK = 512  # items per pass of the base encoder


def item_pool(dataset: Dataset, labels: Labels, max_items: int, seed: int) -> np.ndarray:
    """(N,) sorted item indices: every labelled item, then others drawn with ``seed`` up to ``max_items``."""
    labelled = np.unique(np.concatenate([labels.labels.indices(n) for n in labels.labels.attributes]))
    others = np.setdiff1d(np.arange(len(dataset)), labelled)
    extra = np.random.default_rng(seed).choice(others, size=min(len(others), max(max_items - len(labelled), 0)),
                                               replace=False)
    return np.sort(np.concatenate([labelled, extra])).astype(np.int64)


@torch.no_grad()
def representation(model: Any, dataset: Dataset, pool: np.ndarray, device: torch.device) -> Tensor:
    """The base run's encoder means of the pool's items, (N, D) on ``device``."""
    parts = [model.parent_means(torch.from_numpy(dataset.items(pool[i:i + ENCODE_CHUNK])).to(device))
             for i in range(0, len(pool), ENCODE_CHUNK)]
    return torch.cat(parts)


def label_tensors(labels: Labels, pool: np.ndarray, device: torch.device
                  ) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """{attribute: (N,) raw values (0 where unlabelled)}, {attribute: (N,) bool mask} over the pool."""
    values, masks = {}, {}
    for name in labels.labels.attributes:
        at = np.searchsorted(pool, labels.labels.indices(name))
        column = np.zeros(len(pool), dtype=labels.labels.attribute(name).dtype)
        column[at] = labels.labels.values(name)
        mask = np.zeros(len(pool), dtype=bool)
        mask[at] = True
        values[name] = torch.from_numpy(column.astype(np.float32) if column.dtype.kind == "f" else column).to(device)
        masks[name] = torch.from_numpy(mask).to(device)
    return values, masks


def fit_lens_run(home: Path, run_id: str, report: Report, device: str = "auto", steps: int | None = None
                 ) -> RunRecord:
    """Train ``run_id`` (a lens run) from scratch, or from its last weights when it has some (a refit on the labels
    waiting in labels.next.json), for ``steps`` (default: the run's own); writes history.json, metrics.json
    (training + score table), the weights (a new version) and then the labels it trained on."""
    folder = run_dir(home, run_id)
    if not (folder / CONFIG_FILE).is_file():
        raise RunNotFoundError(f"no run {run_id!r} in this artifact store")
    header = read_json(folder / CONFIG_FILE)
    still_ours = owner_check(home, run_id, header.get("nonce"))
    train = config_from_dict(TrainConfig, header["train"])
    where = select_device(train.device if train.device != "auto" else device)
    model = lens_model(home, folder, header, where)
    dataset = get_dataset(header["dataset"])
    labels = load_labels(folder, dataset, pending=has_pending(folder))  # a refit's: the lens's own and the added
    pool = item_pool(dataset, labels, model.config.max_items, train.seed)
    z = representation(model, dataset, pool, where)
    values, masks = label_tensors(labels, pool, where)
    losses: list[dict[str, float]] = []

    def on_progress(p: FitProgress) -> None:
        losses.append({"step": p.step, "loss": p.loss})
        report(p.step / p.total, f"step {p.step}/{p.total} loss {p.loss:.4g}")

    n_steps = steps or train.steps
    with cpu_threads(train.threads):  # the lens run's own setting, as a run's training keeps it
        result = fit_lens(lens_of(model), z, values, masks, n_steps, min(train.batch_size, len(pool)), train.lr,
                          train.seed, on_progress, log_every=max(1, min(50, n_steps // 20)))
    model.eval()
    with torch.no_grad():
        z_star = lens_of(model).encode(z)  # (N, k), the mean path without labels: a function of the representation
    table = score_table(dataset, labels, pool, z_star.double().cpu().numpy(), z.double().cpu().numpy(), train.seed)
    still_ours()
    keep_version(folder)  # the version this refit replaces, if its own fit ended before keeping it
    write_json(folder / "history.json", losses)
    write_json(folder / "metrics.json", {"training": training_summary(result, len(pool), header), "score": table})
    save_model(model, folder, {k: v for k, v in header.items() if k not in {"weights_sha256", "version"}},
               make_dir=False)
    commit(folder, dataset, labels)
    keep_version(folder)  # this version stays readable after the next refit replaces it
    return record_of(read_json(folder / CONFIG_FILE))


def lens_model(home: Path, folder: Path, header: dict[str, Any], device: torch.device) -> LatentModel:
    """The lens run's model with its parent attached: its last weights (a refit) or fresh ones (a first fit)."""
    parent = resolve_parent(home, record_of(header), lambda parent_id: load_run(home, parent_id, device))
    if header.get("weights_sha256"):
        return load_model(folder, device, parent)[0]
    return build_model(header, parent).to(device)


def training_summary(result: Any, n_items: int, header: dict[str, Any]) -> dict[str, Any]:
    return {"steps": len(result.losses), "final_loss": result.losses[-1], "terms": result.terms,
            "labelled_per_batch": result.labelled_per_batch, "elapsed_s": result.elapsed_s, "n_items": n_items,
            "refit_of": header.get("weights_sha256", "")[:12] or None}
