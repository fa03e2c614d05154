"""The demo lens ``factorscope prepare`` makes (issues 16 and 17): ``DEMO_LENS`` fitted here on its demo run (once:
a lens with weights is kept as it is), then one labelling session opened on it unless one is open. Prints the Lens
page's link and the session's ``/label?session=ID`` link; a fit that fails is reported with its reason."""

from __future__ import annotations

import sys
from urllib.parse import urlencode

from models import CONFIG_FILE, cpu_threads, get_dataset, select_device

from .api.routes.runs import create_limits
from .config import Settings
from .demo_runs import DemoLens
from .errors import Problem
from .jobs import JobStore
from .labelling import LabelSession, LabelStore
from .labelling.model import REFIT_EVERY
from .labelling.sessions import open_session
from .lenses.create import create_lens
from .lenses.fit import fit_lens_run
from .lenses.labels import oracle_labels
from .progress_bar import advance, progress_bar
from .runs import RunNotFoundError, RunRecord, StaleParent, run_dir
from .store import RunStore

# Why the demo lens cannot be made: an error from its checks or its fit (a non-finite loss), not a bug to trace.
LENS_FAILURES = (Problem, RunNotFoundError, StaleParent, FloatingPointError, ValueError)


def prepare_lens(settings: Settings, demo: DemoLens) -> int:
    """Fit ``demo`` unless fitted and open its session unless one is open; 0, or 1 with the reason on stderr."""
    store = RunStore(settings.home, select_device(settings.device), settings.model_cache_size)
    try:
        record = fitted_lens(store, settings, demo)
    except LENS_FAILURES as err:
        print(f"factorscope prepare: the demo lens {demo.lens_id} on {demo.base_run} failed: {err}", file=sys.stderr)
        return 1
    ui = f"http://127.0.0.1:{settings.ui_port}"
    print(f"ready: {demo.lens_id} (lens on {demo.base_run}: {', '.join(demo.lens.attributes)}) version "
          f"{record.version}: {ui}{lens_path(demo)}")
    session = demo_session(store, settings, demo)
    print(f"labelling session {session.session_id} ({session.strategy} on {demo.session_attribute}): "
          f"{ui}{label_path(session.session_id)}")
    return 0


def fitted_lens(store: RunStore, settings: Settings, demo: DemoLens) -> RunRecord:
    """The lens's ready record. A lens with weights is kept as it is; one without (its fit failed or stopped) is
    made anew from ``demo``'s settings, with its oracle labels, and fitted here."""
    made = (run_dir(store.home, demo.lens_id) / CONFIG_FILE).is_file()
    if made and store.record(demo.lens_id).version is not None:
        return store.ready(demo.lens_id)
    if made:
        store.delete(demo.lens_id)
    base = store.ready(demo.base_run)
    labels = oracle_labels(get_dataset(base.dataset), demo.lens.attributes, demo.n_labels, demo.label_seed)
    create_lens(store, base, demo.lens, labels, create_limits(settings), demo.lens_id)
    fit_with_bar(store, demo)
    return store.ready(demo.lens_id)


def fit_with_bar(store: RunStore, demo: DemoLens) -> None:
    """Fit the lens in this process with a progress bar, on the CPU threads its train config asks for."""
    with progress_bar(demo.lens_id) as bar, cpu_threads(int(demo.lens.train.get("threads", 0))):
        fit_lens_run(store.home, demo.lens_id, lambda fraction, status: advance(bar, fraction, status))


def demo_session(store: RunStore, settings: Settings, demo: DemoLens) -> LabelSession:
    """The newest open session on the demo lens, or a new one (``demo.strategy`` on ``demo.session_attribute``)."""
    jobs = JobStore(settings.database_url)
    try:
        labels = LabelStore(jobs.engine)
        mine = [s for s in labels.list_sessions(demo.base_run) if s.lens_id == demo.lens_id and s.state == "open"]
        if mine:
            return mine[0]
        return open_session(store, labels, demo.base_run, demo.lens_id, [demo.session_attribute], demo.strategy,
                            batch_size=1, refit_every=REFIT_EVERY)
    finally:
        jobs.close()


def lens_path(demo: DemoLens) -> str:
    """The dashboard's Lens page on the demo lens (``frontend.state.LensState``'s link)."""
    return "/lens?" + urlencode({"run": demo.base_run, "lens": demo.lens_id})


def label_path(session_id: str) -> str:
    """The dashboard's Labelling page on a session (``frontend.components.labelling.LabelState``'s link)."""
    return "/label?" + urlencode({"session": session_id})
