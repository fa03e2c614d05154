"""``factorscope demo-weights [RUN_ID ...]``: train the demo runs that ship trained (``DemoRun.bundled``) with
their ``DEMO_RUNS`` settings in ``FACTORSCOPE_HOME`` (resuming a half-done one from its checkpoint, refusing a run
of that id made with other settings), then write each into ``backend/demo_weights/<run_id>/`` (``--out``), the
command and seed recorded under ``produced_by`` in its config.json.

The shipped ``demo-beta-tcvae-dsprites`` is reproduced by::

    FACTORSCOPE_HOME=<an empty folder> factorscope demo-weights demo-beta-tcvae-dsprites

seed 0, 15,000 steps of batch 64 on one CPU thread: 2 h 3 min on the shared 2-core machine (load 1 for the first
hour, up to 20 with other engineers' jobs and a CI run beside it after; 4.5 steps/s at load 1, so about 55 min
idle). One thread makes the steps deterministic; another torch version or CPU may differ in the last bits, so a
rerun elsewhere gives a model of the same quality, not byte-equal weights."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from models import CONFIG_FILE, CheckpointError, get_family, read_json

from ..cli_train import train_with_bar
from ..config import get_settings
from ..demo_runs import DEMO_RUNS, DemoRun
from ..runs import create_run, run_dir
from . import BUNDLE_ROOT, export_bundle


def add_demo_weights_parser(sub: argparse._SubParsersAction) -> None:
    bundled = [d.run_id for d in DEMO_RUNS if d.bundled]
    p = sub.add_parser("demo-weights", help="train the demo runs that ship trained and write their bundled weights")
    p.add_argument("run_ids", nargs="*", metavar="RUN_ID", help=f"which (default: all of {bundled})")
    p.add_argument("--out", type=Path, default=BUNDLE_ROOT, help="folder of the bundles (default: the package's)")
    p.set_defaults(handler=run_demo_weights)


def run_demo_weights(args: argparse.Namespace) -> int:
    bundled = {d.run_id: d for d in DEMO_RUNS if d.bundled}
    unknown = sorted(set(args.run_ids) - set(bundled))
    if unknown:
        print(f"factorscope demo-weights: {unknown} ship no weights; expected some of {sorted(bundled)}",
              file=sys.stderr)
        return 2
    home = get_settings().home
    try:
        for run_id in args.run_ids or list(bundled):
            folder = bundle(home, bundled[run_id], args.out)
            print(f"{run_id}: bundled in {folder} (version {read_json(folder / CONFIG_FILE)['weights_sha256'][:12]})")
    except (CheckpointError, ValueError) as err:
        print(f"factorscope demo-weights: {err}", file=sys.stderr)
        return 2
    return 0


def bundle(home: Path, demo: DemoRun, out: Path) -> Path:
    """Make (or resume, or reuse) ``demo`` in ``home`` with its settings, then export it to ``out``."""
    config = run_dir(home, demo.run_id) / CONFIG_FILE
    if config.is_file():
        check_settings(read_json(config), demo)
    else:
        create_run(home, demo.family, demo.config, demo.dataset, demo.train, demo.run_id)
    train_with_bar(home, demo.run_id)
    command = f"factorscope demo-weights {demo.run_id}"
    return export_bundle(home, demo.run_id, {"command": command, "seed": demo.train.seed, "steps": demo.train.steps},
                         out)


def check_settings(header: dict, demo: DemoRun) -> None:
    """ValueError unless the run in ``header`` was made with ``demo``'s family, dataset, config and training."""
    spec = get_family(demo.family)
    same = (header["family"] == demo.family and header["dataset"] == demo.dataset
            and spec.config(header["config"]) == spec.config(demo.config) and header["train"] == asdict(demo.train))
    if not same:
        raise ValueError(f"run {demo.run_id!r} in this FACTORSCOPE_HOME was made with other settings than "
                         "DEMO_RUNS gives it; delete it or point FACTORSCOPE_HOME at an empty folder")
