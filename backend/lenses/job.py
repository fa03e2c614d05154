"""The ``lens_fit`` job kind: payload {"run_id": the lens run, "nonce": its nonce when queued, "steps": a refit's
own step count (optional)}."""

from __future__ import annotations

from typing import Any

from models import select_device

from ..blas_threads import one_blas_thread
from ..jobs.context import JobContext
from ..labelling.after_fit import after_fit
from ..runs import owner_check
from .fit import fit_lens_run


def lens_fit_job(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Fit (or refit) the lens run ``payload['run_id']``; the job fails with the reason when the loss is not finite."""
    run_id = payload["run_id"]
    if "nonce" in payload:  # queued for one lens: another made since under its id is not it
        owner_check(ctx.home, run_id, payload["nonce"])()
    steps = payload.get("steps")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise ValueError(f"a lens_fit job's payload['steps'] must be a positive integer, got {steps!r}")
    with one_blas_thread():  # the score table's and the curve's Platt fits (blas_threads says why)
        record = fit_lens_run(ctx.home, run_id, ctx.report, ctx.device, steps)
        after_fit(ctx.home, ctx.store.engine, run_id, payload, select_device(ctx.device))  # the sessions' new queues
    parent = record.parent.run_id if record.parent else ""
    return {"run_id": run_id, "version": record.version, "worker_pid": ctx.pid,
            "result_url": f"/api/v1/runs/{parent}/lenses/{run_id}"}
