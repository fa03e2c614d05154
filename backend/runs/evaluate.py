"""A run's evaluation report (``models.report.build_report``) written into its metrics.json, never into a run
deleted or made anew while it was computed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models import (
    EvalConfig,
    TrainConfig,
    build_report,
    config_from_dict,
    get_dataset,
    read_json,
    split_indices,
    write_json,
)
from models import EvalProgressFn as ProgressFn

from .folders import run_dir
from .load import load_run
from .ownership import owner_check, run_nonce


def evaluate_run(home: Path, run_id: str, cfg: EvalConfig | None = None, on_progress: ProgressFn | None = None,
                 device: str = "cpu") -> dict[str, Any]:
    """Compute the run's report and store it under "report" in its metrics.json; returns the report."""
    nonce = run_nonce(home, run_id)  # first: a run made anew before its weights are read is not taken for this one
    model, record = load_run(home, run_id, device)
    still_ours = owner_check(home, run_id, nonce)
    dataset = get_dataset(record.dataset)
    train = config_from_dict(TrainConfig, record.train)
    _, val = split_indices(len(dataset), train.val_fraction, train.seed)  # the items it never trained on
    report = build_report(model, dataset, cfg or EvalConfig(), on_progress or (lambda f, m: None), held_out=val)
    report["version"] = record.version
    still_ours()  # a run deleted (or made anew) during the evaluation gets no report
    path = run_dir(home, run_id) / "metrics.json"
    metrics = read_json(path) if path.is_file() else {}
    write_json(path, {**metrics, "report": report})
    return report
