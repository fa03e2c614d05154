"""``factorscope prepare``: make the demo runs that are missing: train the small ones here (resuming
half-done ones) and queue the large ones as training jobs for the worker (unless ``--foreground``)."""

from __future__ import annotations

import argparse

from models.checkpoint import CONFIG_FILE, read_json
from models.runs import create_run, record_of, run_dir

from .cli_train import train_with_bar
from .config import Settings, get_settings
from .demo_runs import DEMO_RUNS, DemoRun
from .jobs import JobStore

ACTIVE = ("queued", "running")


def add_prepare_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="make the default demo runs (skips finished ones)")
    p.add_argument("--foreground", action="store_true",
                   help="train every demo run here, also those normally queued for the worker")
    p.set_defaults(handler=run_prepare)


def run_prepare(args: argparse.Namespace) -> int:
    settings = get_settings()
    for demo in DEMO_RUNS:
        config = run_dir(settings.home, demo.run_id) / CONFIG_FILE
        if not config.is_file():
            create_run(settings.home, demo.family, demo.config, demo.dataset, demo.train, demo.run_id)
        if demo.background and not args.foreground and not record_of(read_json(config)).finished:
            queue(settings, demo)
            continue
        record = train_with_bar(settings.home, demo.run_id)
        print(f"ready: {record.run_id} ({record.family} on {record.dataset}) version {record.version}")
    return 0


def queue(settings: Settings, demo: DemoRun) -> None:
    """Submit a training job for ``demo`` unless one is already queued or running."""
    jobs = JobStore(settings.database_url)
    try:
        active = [j for j in jobs.list(kind="train") if j.payload.get("run_id") == demo.run_id and j.state in ACTIVE]
        job = active[0] if active else jobs.submit("train", {"run_id": demo.run_id})
    finally:
        jobs.close()
    print(f"queued: {demo.run_id} ({demo.family} on {demo.dataset}) as job {job.job_id}; the worker that "
          "`factorscope demo` starts trains it, and the Runs page shows its progress")
