"""The ``projection`` job kind: payload {"run_id", "version" (the run version it projects), "method" (pca, mi, tsne,
umap), "n", "seed"}; it writes ``files.projection_path`` and the sample's codes ``files.codes_path`` (shared by the
methods; nothing when both are there already)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from models import get_dataset, select_device

from ..jobs.context import JobContext
from ..runs import load_run, owner_check, read_record, run_nonce
from ..store import LoadedRun, serving_layout
from .compute import encode_sample, project
from .files import codes_path, projection_path, write_codes, write_projection

METHOD_NAMES = {"pca": "PCA", "mi": "the two most informative dims", "tsne": "t-SNE", "umap": "UMAP"}


def projection_job(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Encode the sample, project it, store both; the result links GET .../projections/{method} of the version."""
    run_id, version, method = payload["run_id"], payload["version"], payload["method"]
    n, seed = int(payload["n"]), int(payload["seed"])
    if method not in METHOD_NAMES:
        raise ValueError(f"a projection job's payload['method'] must be one of {sorted(METHOD_NAMES)}, got {method!r}")
    path = projection_path(ctx.home, run_id, version, method, n, seed)
    codes = codes_path(ctx.home, run_id, version, n, seed)
    result = {"run_id": run_id, "version": version, "worker_pid": ctx.pid,
              "result_url": f"/api/v1/runs/{run_id}/projections/{method}?n={n}&seed={seed}&v={version}"}
    if path.is_file() and codes.is_file():
        return result
    still_ours = owner_check(ctx.home, run_id, run_nonce(ctx.home, run_id))
    loaded = load_version(ctx, run_id, version)
    enc = encode_sample(loaded, n, seed, ctx.report)
    ctx.report(0.5, f"fitting {METHOD_NAMES[method]} on {len(enc.index)} points")
    emb = None if path.is_file() else project(enc, method, seed)  # stored before its codes were: only those now
    ctx.check()
    still_ours()  # a run deleted (or made anew) meanwhile gets no projections folder
    write_codes(codes, enc.index, enc.mu)
    if emb is not None:
        write_projection(path, enc.index, emb)
    ctx.report(1.0, f"{METHOD_NAMES[method]} of {len(enc.index)} points stored")
    return result


def load_version(ctx: JobContext, run_id: str, version: str) -> LoadedRun:
    """The run at ``version`` (its current one, or one kept in versions/), as the API's run store loads it."""
    device = select_device(ctx.device)
    kept = None if read_record(ctx.home, run_id).version == version else version
    model, record = load_run(ctx.home, run_id, device, version=kept)
    if record.version != version:
        raise ValueError(f"run {run_id!r} is at version {record.version}, not {version}")
    return LoadedRun(replace(record, run_id=run_id), serving_layout(model, device), get_dataset(record.dataset))
