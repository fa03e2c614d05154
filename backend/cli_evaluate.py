"""``factorscope evaluate RUN_ID``: compute the run's full report into its metrics.json, with progress."""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

from models import CheckpointError, EvalConfig, select_device

from .config import get_settings
from .progress_bar import advance, progress_bar
from .runs import RunNotFoundError, evaluate_run


def add_evaluate_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="compute a run's metrics report (MI per dim, MIG, SAP, DCI, ...)")
    p.add_argument("run_id")
    p.add_argument("--full", action="store_true", help="disentanglement_lib-sized samples (slow on a CPU)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    base = EvalConfig.full() if args.full else EvalConfig()
    cfg = EvalConfig(**{**base.__dict__, "seed": args.seed})
    try:
        report = evaluate_with_bar(get_settings().home, args.run_id, cfg)
    except (RunNotFoundError, CheckpointError) as err:
        print(f"factorscope evaluate: {err}", file=sys.stderr)
        return 2
    print(json.dumps(summary(report), indent=2))
    return 0


def evaluate_with_bar(home: Path, run_id: str, cfg: EvalConfig) -> dict[str, Any]:
    """``evaluate_run`` with a progress bar on stderr; returns the report it wrote into metrics.json."""
    with progress_bar(run_id) as bar:
        return evaluate_run(home, run_id, cfg, partial(advance, bar), str(select_device("auto")))


def summary(report: dict) -> dict:
    """The headline numbers of a report (the full report is in metrics.json)."""
    metrics = {name: {"variant": m["variant"], "value": round(m["value"], 4)} for name, m in report["metrics"].items()}
    return {"log_likelihood": round(report["log_likelihood"]["iw_elbo"], 3),
            "reconstruction_mse": round(report["reconstruction"]["mse"], 5),
            "mi_per_dim": [round(d["mi_gaussian"], 3) for d in report["factors"]["dims"]], "metrics": metrics}
