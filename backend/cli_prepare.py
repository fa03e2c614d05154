"""``factorscope prepare``: train the demo runs that are missing (resuming half-done ones)."""

from __future__ import annotations

import argparse

from models.runs import create_run, run_dir

from .cli_train import train_with_bar
from .config import get_settings
from .demo_runs import DEMO_RUNS


def add_prepare_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="train the default demo runs (skips finished ones)")
    p.set_defaults(handler=run_prepare)


def run_prepare(args: argparse.Namespace) -> int:
    home = get_settings().home
    for demo in DEMO_RUNS:
        if not (run_dir(home, demo.run_id) / "config.json").is_file():
            create_run(home, demo.family, demo.config, demo.dataset, demo.train, demo.run_id)
        record = train_with_bar(home, demo.run_id)
        print(f"ready: {record.run_id} ({record.family} on {record.dataset}) version {record.version}")
    return 0
