"""``factorscope prepare``: make the demo runs that are missing: install those that ship trained (``bundled``:
their weights checked against the sha256 in ``backend/demo_weights``, unless ``--train-fresh``), train and evaluate
the small ones here (resuming half-done ones) and queue the large ones as training and evaluation jobs for the
worker (unless ``--foreground``). Finished and evaluated runs are left as they are. Then the demo lens and its
labelling session (``demo_lens``).

Everything runs with one BLAS thread, as the demo runs train on one torch thread (``blas_threads`` says why)."""

from __future__ import annotations

import argparse
import sys

from models import CONFIG_FILE, EvalConfig, read_json

from .blas_threads import one_blas_thread
from .cli_evaluate import evaluate_with_bar
from .cli_train import train_with_bar
from .config import Settings, get_settings
from .demo_lens import prepare_lens
from .demo_runs import BACKGROUND_PRIORITY, DEMO_LENS, DEMO_RUNS, DemoRun
from .demo_weights import BundleError, install_bundle
from .jobs import JobStore
from .runs import RunRecord, create_run, record_of, run_dir


def add_prepare_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="make the default demo runs and lens, open a labelling session (skips what "
                                       "is done)")
    p.add_argument("--foreground", action="store_true",
                   help="train every demo run here, also those normally queued for the worker")
    p.add_argument("--train-fresh", action="store_true",
                   help="train the demo runs that ship trained weights (the dsprites beta-TCVAE) from scratch "
                        "instead of installing them, to watch them learn (the worker trains it: 10 to 40 minutes "
                        "on a 2-core CPU)")
    p.set_defaults(handler=run_prepare)


def run_prepare(args: argparse.Namespace) -> int:
    with one_blas_thread():
        return prepare_all(get_settings(), args.foreground, args.train_fresh)


def prepare_all(settings: Settings, foreground: bool, train_fresh: bool) -> int:
    """Make, train or queue every demo run, then the demo lens and its session; 0, or 1 with the reason on stderr."""
    for demo in DEMO_RUNS:
        config = run_dir(settings.home, demo.run_id) / CONFIG_FILE
        if not config.is_file():
            try:
                make_run(settings, demo, train_fresh)
            except BundleError as err:
                print(f"factorscope prepare: {err}", file=sys.stderr)
                return 1
        if demo.background and not foreground:
            queue(settings, demo, record_of(read_json(config)))
        else:
            prepare_here(settings, demo)
    return prepare_lens(settings, DEMO_LENS)


def make_run(settings: Settings, demo: DemoRun, train_fresh: bool) -> None:
    """Install ``demo``'s bundled weights (a bundle that fails its sha256 check stops prepare with its message,
    never trained over); a run that ships none, or ``train_fresh``, is made untrained."""
    if demo.bundled and not train_fresh:
        record = install_bundle(settings.home, demo.run_id)
        print(f"installed: {demo.run_id} ({demo.family} on {demo.dataset}) version {record.version}, its bundled "
              "weights' sha256 checked")
    else:
        create_run(settings.home, demo.family, demo.config, demo.dataset, demo.train, demo.run_id)


def prepare_here(settings: Settings, demo: DemoRun) -> None:
    """Train (or resume) and evaluate ``demo`` in this process, with progress bars."""
    record = train_with_bar(settings.home, demo.run_id)
    if not evaluated(settings, record):
        evaluate_with_bar(settings.home, record.run_id, EvalConfig())
    print(f"ready: {record.run_id} ({record.family} on {record.dataset}) version {record.version}")


def evaluated(settings: Settings, record: RunRecord) -> bool:
    """Whether the run's metrics.json holds a report of its current weights."""
    path = run_dir(settings.home, record.run_id) / "metrics.json"
    report = read_json(path).get("report") if path.is_file() else None
    return record.finished and isinstance(report, dict) and report.get("version") == record.version


def queue(settings: Settings, demo: DemoRun, record: RunRecord) -> None:
    """Submit the training job (unless trained) and the evaluation job (unless evaluated) for ``demo``, each
    unless already queued or running, at BACKGROUND_PRIORITY (a job queued through the API starts first); the
    evaluation waits for its run's training, so it sees the weights."""
    kinds = [k for k, done in (("train", record.finished), ("evaluate", evaluated(settings, record))) if not done]
    if not kinds:
        print(f"ready: {record.run_id} ({record.family} on {record.dataset}) version {record.version}")
        return
    jobs = JobStore(settings.database_url)
    try:
        ids = [jobs.submit_once(kind, {"run_id": demo.run_id}, BACKGROUND_PRIORITY).job_id for kind in kinds]
    finally:
        jobs.close()
    print(f"queued: {demo.run_id} ({demo.family} on {demo.dataset}) as {' and '.join(kinds)} jobs {', '.join(ids)};"
          " the worker that `factorscope demo` starts runs them, and the Runs page shows their progress")
