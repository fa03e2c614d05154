"""``factorscope train``: train a run with a progress bar (loss, ETA); ``--resume RUN_ID`` continues."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from models import (
    CheckpointError,
    ConfigError,
    MissingExtraError,
    Progress,
    TrainConfig,
    UnknownDatasetError,
    UnknownFamilyError,
    config_from_dict,
    dataset_names,
    families,
)

from .config import get_settings
from .progress_bar import advance, progress_bar
from .runs import RunNotFoundError, RunRecord, create_run, resume_step, run_dir, train_run


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model on a dataset (or resume one)")
    p.add_argument("--family", help=f"one of {sorted(families())}")
    p.add_argument("--dataset", help=f"one of {dataset_names()}")
    p.add_argument("--set", metavar="KEY=VALUE", nargs="*", default=[], help="family config fields (JSON values)")
    for f in fields(TrainConfig):
        p.add_argument(f"--{f.name.replace('_', '-')}", dest=f"train_{f.name}", type=type(f.default), default=None,
                       help=f"training: {f.name} (default {f.default})")
    p.add_argument("--run-id", help="name the run (default: family-dataset-time-random)")
    p.add_argument("--resume", metavar="RUN_ID", help="continue an interrupted run from its last checkpoint")
    p.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace) -> int:
    from .cli import parse_assignments

    home = get_settings().home
    try:
        run_id = args.resume or _create(args, home, parse_assignments(args.set))
        record = train_with_bar(home, run_id)
    except (ConfigError, UnknownFamilyError, UnknownDatasetError, MissingExtraError, RunNotFoundError,
            CheckpointError, FileExistsError, ValueError) as err:
        print(f"factorscope train: {err}", file=sys.stderr)
        return 2
    print(f"run {record.run_id} version {record.version} saved in {run_dir(home, record.run_id)}")
    return 0


def _create(args: argparse.Namespace, home: Path, config: dict) -> str:
    if not args.family or not args.dataset:
        raise ValueError("--family and --dataset are required (or --resume RUN_ID)")
    overrides = {f.name: getattr(args, f"train_{f.name}") for f in fields(TrainConfig)
                 if getattr(args, f"train_{f.name}") is not None}
    train = config_from_dict(TrainConfig, overrides)
    return create_run(home, args.family, config, args.dataset, train, args.run_id).run_id


def train_with_bar(home: Path, run_id: str) -> RunRecord:
    """Train (or resume, or just return) ``run_id`` with a terminal progress bar: step, loss, ETA."""
    if step := resume_step(home, run_id):
        print(f"{run_id}: resuming from its checkpoint at step {step}", file=sys.stderr)
    with progress_bar(run_id) as bar:
        def show(p: Progress) -> None:
            val = f" val {p.val_loss:.3f}" if p.val_loss is not None else ""
            advance(bar, p.fraction, f"step {p.step}/{p.total} loss {p.terms.get('loss', float('nan')):.3f}{val}")

        return train_run(home, run_id, on_progress=show)
