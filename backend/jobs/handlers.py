"""The job kinds: ``JOB_KINDS[kind](payload, ctx) -> result``. Handlers import the model library lazily."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .context import JobContext

Handler = Callable[[dict[str, Any], JobContext], dict[str, Any]]
# payload keys each kind needs, all strings
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {"train": ("run_id",), "evaluate": ("run_id",), "lens_fit": ("run_id",),
                                             "projection": ("run_id", "version", "method")}


def check_payload(kind: str, payload: Any) -> None:
    """TypeError unless ``payload`` is a dict; ValueError unless it is JSON with the keys ``kind`` needs."""
    if not isinstance(payload, dict):
        raise TypeError(f"a job payload must be a JSON object, got {type(payload).__name__}")
    for key in REQUIRED_KEYS.get(kind, ()):
        if not isinstance(payload.get(key), str) or not payload[key]:
            raise ValueError(f"a {kind!r} job needs payload[{key!r}] (a non-empty string), got {payload.get(key)!r}")
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as err:
        raise ValueError(f"a job payload must be JSON-serializable: {err}") from err


def train(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Train (or resume from its checkpoint/) the run ``payload['run_id']`` made by ``create_run``."""
    from models import Progress

    from ..runs import owner_check, train_run

    run_id = payload["run_id"]
    if "nonce" in payload:  # queued for one run: another made since under its id is not it
        owner_check(ctx.home, run_id, payload["nonce"])()
    resumed = checkpoint_step(ctx.home, run_id)
    if resumed is not None:
        ctx.report(resumed[0] / resumed[1], f"resuming from step {resumed[0]}/{resumed[1]}")

    def on_progress(p: Progress) -> None:
        ctx.report(p.fraction, train_message(p))

    record = train_run(ctx.home, run_id, on_progress=on_progress, check_stop=ctx.check)
    return {"run_id": run_id, "version": record.version, "result_url": f"/api/v1/runs/{run_id}",
            "resumed_from_step": resumed[0] if resumed else None, "worker_pid": ctx.pid}


def train_message(p: Any) -> str:
    """``step 120/1000 loss 35.2`` (plus the validation loss when there is one)."""
    loss = p.terms.get("loss")
    text = f"step {p.step}/{p.total}" + (f" loss {loss:.4g}" if loss is not None else "")
    return text + (f" val {p.val_loss:.4g}" if p.val_loss is not None else "")


def checkpoint_step(home: Path, run_id: str) -> tuple[int, int] | None:
    """(step, total steps) of the run's resumable checkpoint (``runs.resume_step``); None when there is none."""
    from ..runs import read_record, resume_step

    step = resume_step(home, run_id)
    if not step:
        return None
    return step, max(int(read_record(home, run_id).train["steps"]), 1)


def evaluate(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Compute the run's evaluation report into its metrics.json (``runs.evaluate_run``).
    Optional payload keys: ``full`` (dlib-sized samples, slow on a CPU) and ``seed``."""
    from models import EvalConfig, select_device

    from ..runs import evaluate_run

    run_id = payload["run_id"]
    base = EvalConfig.full() if payload.get("full") else EvalConfig()
    cfg = EvalConfig(**{**base.__dict__, "seed": int(payload.get("seed", 0))})
    evaluate_run(ctx.home, run_id, cfg, ctx.report, str(select_device(ctx.device)))
    return {"run_id": run_id, "result_url": f"/api/v1/runs/{run_id}/metrics", "worker_pid": ctx.pid}


def lens_fit(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Fit or refit the lens run ``payload['run_id']`` on its base run's representation (``lenses.job``)."""
    from ..lenses.job import lens_fit_job

    return lens_fit_job(payload, ctx)


def projection(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """A t-SNE, UMAP, PCA or MI projection of a run's sample into its projections/ folder (``projections.job``)."""
    from ..projections import projection_job

    return projection_job(payload, ctx)


JOB_KINDS: dict[str, Handler] = {"train": train, "evaluate": evaluate, "lens_fit": lens_fit, "projection": projection}
TRAINING_KINDS = ("train", "lens_fit")  # the jobs that make a run's weights: its status follows the newest
