"""A fake /api/v1: recorded JSON answers for run "tiny" (a vae) and the grouped run "grouped" (an oi_vae,
listed only when a test appends GROUPED_RUN to ``runs``), problems like the real API's, jobs that tests move
along by hand. test_contract.py checks every answer it gives against the real app's OpenAPI document and the
frontend's models, so it cannot drift from the API (answers a test installs in ``overrides`` are its own)."""

from __future__ import annotations

import json
from collections.abc import Callable
from copy import deepcopy
from typing import Any

import httpx

STATES = ("queued", "running", "succeeded", "failed", "cancelled")

PROBLEM = "application/problem+json"
WHOAMI_OPEN = {"name": None, "role": "admin", "auth": False}  # a backend that asks for no tokens (loopback)
VERSION = "470e055819f7"
RUN: dict[str, Any] = {
    "run_id": "tiny", "version": VERSION, "family": "vae", "dataset": "digits", "created": "2026-11-23T18:47:56+00:00",
    "status": "ready", "latent_dim": 4, "capabilities": ["prior_sampling", "reconstruction", "traversal"],
}
FACTORS: dict[str, Any] = {
    "run_id": "tiny", "version": VERSION, "n_items": 1797, "seed": 0, "order": [3, 2, 1, 0],
    "total_mi_gaussian": 0.98,
    "dims": [{"dim": 0, "mi_gaussian": 0.005, "mi_monte_carlo": 0.04, "kl": 0.08, "variance": 0.01},
             {"dim": 1, "mi_gaussian": 0.034, "mi_monte_carlo": 0.0, "kl": 0.06, "variance": 0.02},
             {"dim": 2, "mi_gaussian": 0.039, "mi_monte_carlo": 0.009, "kl": 0.06, "variance": 0.007},
             {"dim": 3, "mi_gaussian": 0.90, "mi_monte_carlo": 0.05, "kl": 1.39, "variance": 0.034}],
    "topk": [{"k": 0, "mse": 0.128, "kept_mi": 0.0, "kept_fraction": 0.0},
             {"k": 1, "mse": 0.085, "kept_mi": 0.90, "kept_fraction": 0.92},
             {"k": 4, "mse": 0.084, "kept_mi": 0.98, "kept_fraction": 1.0}],
    "prior": {"kind": "standard_normal"},
}
HELD = {"n_items": 500, "items": "held out"}
# metrics.json as training and an evaluation write it (K = 4 dims, F = 1 factor): MIG's gap is
# (0.3 - 0.024) / 2.3 = 0.12, SAP's 0.18 - 0.13 = 0.05
REPORT: dict[str, Any] = {
    "factors": {k: v for k, v in FACTORS.items() if k not in ("run_id", "version", "prior")},
    "reconstruction": {"mse": 0.08, "nll": 31.0, **HELD},
    "log_likelihood": {"iw_elbo": -30.5, "samples": 100, **HELD},
    "metrics": {
        "mig_dlib": {"variant": "mig_dlib", "value": 0.12, "scores": {"discrete_mig": 0.12},
                     "details": {"mutual_info": [[0.01], [0.02], [0.024], [0.3]], "entropy": [2.3], "gap": [0.12]},
                     "n_points": 10_000, "n_distinct": 1797},
        "sap": {"variant": "sap_dlib_discrete", "value": 0.05, "scores": {"SAP_score": 0.05},
                "details": {"score_matrix": [[0.1], [0.11], [0.13], [0.18]], "gap": [0.05]}, "n_points": 1797}},
    "settings": {"n_points": 10_000, "n_info": 5000, "chen_items": 10_000, "n_classifier": 3000, "dci_estimators": 20,
                 "factor_vae_votes": 600, "ll_items": 500, "ll_samples": 100, "seed": 0},
    "seconds": 4.2, "version": VERSION,
}
METRICS: dict[str, Any] = {
    "training": {"best_val_loss": 31.15, "steps": 100, "stopped_early": False,
                 "train_terms": {"kl": 1.6, "loss": 31.8}, "val_loss": 31.15},
    "report": REPORT,
}
DETAIL: dict[str, Any] = {
    **RUN,
    "config": {"architecture": "auto", "beta": 1.0, "hidden": [32], "latent_dim": 4, "likelihood": "auto"},
    "train": {"batch_size": 64, "steps": 100, "lr": 0.001, "seed": 0},
    "metrics": METRICS,
    "history": [{"step": 50, "train_loss": 37.3, "val_loss": 36.4, "train_kl": 0.97},
                {"step": 100, "train_loss": 31.8, "val_loss": 31.2, "train_kl": 1.61}],
}
TRAIN_LOG: dict[str, Any] = {  # GET /runs/tiny/log: its 100 steps, logged every 50 here
    "run_id": "tiny", "status": "ready", "done": True, "total_steps": 100, "eval_every": 50, "after": 0,
    "last_step": 100, "more": False, "step": [50, 100], "time": [1764736800.5, 1764736801.25],
    "val_loss": [36.4, 31.2], "terms": {"loss": [37.3, 31.8], "recon": [36.3, 30.2], "kl": [0.97, 1.61]},
}
EMBEDDING: dict[str, Any] = {
    "run_id": "tiny", "version": VERSION, "method": "pca", "axes": ["PC1", "PC2"],
    "explained_variance": [0.64, 0.34], "index": [484, 553, 917], "x": [0.23, -0.16, 0.18], "y": [-0.04, -0.27, 0.13],
    "factors": {"label": [3, 9, 2]}, "attributes": {"label": [3.0, 9.0, 2.0], "thickness": [1.7, 1.74, 1.67]},
}
FACTOR_MI: dict[str, Any] = {  # the report's MIG matrix below, normalised by H(label) = 2.3: z3 knows the digit
    "run_id": "tiny", "version": VERSION, "n_items": 1797, "seed": 0, "n_bins": 20, "source": "factors",
    "sources": ["factors", "attributes"], "binning": "20 equal-width bins", "factors": ["label"], "kinds": ["factor"],
    "dims": [0, 1, 2, 3], "mutual_info": [[0.01], [0.02], [0.024], [0.3]], "entropy": [2.3],
    "normalised": [[0.0043], [0.0087], [0.0104], [0.1304]], "best_dim": [3], "gap": [0.12], "mig": 0.12}
TYPICAL: dict[str, Any] = {
    "run_id": "tiny", "version": VERSION, "index": 42, "factors": {"label": 4}, "factor_sizes": {"label": 10},
    "rule": "the item nearest the middle value of every factor, then nearest the mean code", "n_items": 1797,
    "seed": 0}
NEIGHBOURS: dict[str, Any] = {"run_id": "tiny", "version": VERSION, "item": 3, "n": 100, "seed": 0,
                              "neighbours": [{"item": 17, "distance": 0.25}, {"item": 5, "distance": 0.5}]}
ITEM_SET: dict[str, Any] = {  # run tiny's one saved set, as GET /item-sets/s1 answers it
    "set_id": "s1", "run_id": "tiny", "name": "two sevens", "n_items": 2, "created_by": None,
    "created_at": "2026-12-03T05:00:00+00:00", "set_url": "/api/v1/item-sets/s1", "items": [1, 2], "version": VERSION,
    "mean_code": [0.1, -0.2, 0.0, 1.5], "baseline_code": [0.0, 0.05, -0.1, 0.2], "baseline_n": 500}
ITEM_SEARCH: dict[str, Any] = {"dataset": "glyphs", "total": 125, "offset": 1, "items": [4381, 4386, 4391],
                               "where": {"digit": 7, "rotation": 1}}
SET_SUMMARY = {"set_id", "run_id", "name", "n_items", "created_by", "created_at", "set_url"}
FAMILIES: dict[str, Any] = {"families": [{
    "name": "vae", "summary": "beta-VAE", "capabilities": ["traversal"],
    "config_schema": {"type": "object", "title": "VAEConfig", "properties": {
        "latent_dim": {"type": "integer", "default": 10, "title": "Latent Dim"},
        "hidden": {"type": "array", "items": {"type": "integer"}, "default": [256, 256], "title": "Hidden"},
        "likelihood": {"enum": ["auto", "bernoulli", "gaussian"], "type": "string", "default": "auto",
                       "title": "Likelihood"},
        "beta": {"type": "number", "default": 1.0, "title": "Beta"}}},
    "defaults": {"latent_dim": 10, "hidden": [256, 256], "likelihood": "auto", "beta": 1.0}}]}
DATASETS: dict[str, Any] = {"datasets": [
    {"name": "digits", "kind": "image", "shape": [1, 8, 8], "n_items": 1797, "likelihood": "bernoulli",
     "description": "8x8 digits", "factor_names": ["label"], "factor_sizes": [10],
     "attribute_names": ["label", "thickness"], "attribute_kinds": ["categorical", "continuous"], "groups": [],
     "extra": {}, "item_url": "/api/v1/datasets/digits/items/{index}.png"}]}
PNG = b"\x89PNG\r\n\x1a\nfake"
HEALTH: dict[str, Any] = {"status": "ok", "version": "0.1.0"}
TRAVERSAL: dict[str, Any] = {  # z0 at 2 steps of +-1 around item 3's code, numbers only
    "run_id": "tiny", "version": VERSION, "dims": [0], "steps": 2, "span": 1.0, "span_mode": "abs", "base": "item:3",
    "span_unit": "latent", "centre": "posterior_mean",
    "base_z": [0.1, -0.2, 0.3, 4.0], "values": [[-0.9, 1.1]], "shape": [1, 8, 8], "outputs": None}
GROUPED_RUN: dict[str, Any] = {
    **RUN, "run_id": "grouped", "family": "oi_vae", "dataset": "parts", "latent_dim": 4,
    "capabilities": ["group_heatmap", "prior_sampling", "reconstruction", "traversal"],
}
HEATMAP: dict[str, Any] = {  # 3 groups of 2 features x 4 dims; z3 is pruned from every group
    "run_id": "grouped", "version": VERSION, "groups": ["head", "arm", "leg"],
    "group_slices": [{"name": "head", "start": 0, "stop": 2}, {"name": "arm", "start": 2, "stop": 4},
                     {"name": "leg", "start": 4, "stop": 6}],
    "dims": [0, 1, 2, 3], "norms": [[1.2, 0.0, 0.05, 0.0], [0.0, 0.8, 0.0, 0.0], [0.3, 0.0, 1e-7, 0.0]], "n_zero": 7,
    "top_groups": [{"dim": 0, "groups": ["head", "leg"], "norms": [1.2, 0.3]},
                   {"dim": 1, "groups": ["arm"], "norms": [0.8]},
                   {"dim": 2, "groups": ["head", "leg"], "norms": [0.05, 1e-7]},
                   {"dim": 3, "groups": [], "norms": []}],
}
GROUPED_TRAVERSAL: dict[str, Any] = {  # z0 at 3 steps: outputs 1 dim x 3 steps x 6 features
    "run_id": "grouped", "version": VERSION, "dims": [0], "steps": 3, "span": 2.5, "span_mode": "sd", "base": "zero",
    "span_unit": "prior_quantile", "centre": "prior_median",
    "base_z": [0.0] * 4, "values": [[-2.5, 0.0, 2.5]], "shape": [6],
    "outputs": [[[-1.0, -1.1, 0.0, 0.0, -0.2, -0.3], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 1.1, 0.0, 0.0, 0.2, 0.3]]],
}


# the lens "lens-a" on run "tiny" (a FILVM, k = 3, over digits' label and thickness), as the real API answers
LENS_VERSION = "a3b5802b7986"
ATTRIBUTES: dict[str, Any] = {"dataset": "digits", "n_items": 1797, "start": None, "stop": None, "values": None,
                              "attributes": [
    {"name": "label", "kind": "categorical", "description": "the digit written", "classes": [str(c) for c in range(10)],
     "lo": None, "hi": None, "unit": None},
    {"name": "thickness", "kind": "continuous", "description": "mean stroke thickness", "classes": None, "lo": 1.3,
     "hi": 2.5, "unit": "pixels"}]}
LENS_SUMMARY: dict[str, Any] = {
    "lens_id": "lens-a", "run_id": "tiny", "version": LENS_VERSION, "parent_version": VERSION, "status": "ready",
    "job_id": "lf0", "error": None, "variant": "filvm", "k": 3, "attributes": ["label", "thickness"],
    "created": "2026-12-02T19:18:52+00:00"}
LENS_SCORE: dict[str, Any] = {  # lens 0.9 vs base 0.5 on label; thickness binned into 5 quantile classes
    "lens_id": "lens-a", "version": LENS_VERSION, "truth": "oracle ground truth", "seed": 0,
    "binning": "continuous attributes binned into 5 classes at the quantiles of their training items",
    "attributes": {
        "label": {"lens": {"value": 0.9, "accuracy": 0.95, "mean_log_prob": -0.105, "dim": 0},
                  "base": {"value": 0.5, "accuracy": 0.6, "mean_log_prob": -0.693, "dim": 3},
                  "n_train": 100, "n_test": 1697, "binned": False},
        "thickness": {"lens": {"value": 0.4, "accuracy": 0.45, "mean_log_prob": -0.916, "dim": 1},
                      "base": {"value": 0.3, "accuracy": 0.35, "mean_log_prob": -1.204, "dim": 0},
                      "n_train": 100, "n_test": 1697, "binned": True}}}
LENS_DETAIL: dict[str, Any] = {
    **LENS_SUMMARY,
    "config": {"variant": "filvm", "latent_dim": 3, "flow_length": 2, "beta": 1.0, "hidden": [16],
               "parent": {"run_id": "tiny", "version": VERSION}},
    "train": {"batch_size": 128, "lr": 0.001, "seed": 0, "steps": 10},
    "labels": {"attributes": {"label": {"kind": "categorical", "n_labelled": 100, "class_counts": {"0": 100}},
                              "thickness": {"kind": "continuous", "n_labelled": 100, "min": 1.5, "mean": 1.7,
                                            "max": 2.1}},
               "sources": [{"oracle": {"n": 100, "seed": 0}}], "n_labels": 200},
    "score": {k: v for k, v in LENS_SCORE.items() if k not in ("lens_id", "version")},
    "training": {"steps": 10, "refit_of": None}, "stale_parent": None}
LENS_EMBEDDING: dict[str, Any] = {
    "lens_id": "lens-a", "version": LENS_VERSION, "attribute": "label", "axes": ["z*0", "z*1"],
    "index": [918, 1143, 1526], "x": [-0.1, -0.11, -0.02], "y": [-0.08, -0.06, -0.15],
    "z_star": [[-0.1, -0.08, 0.0], [-0.11, -0.06, 0.1], [-0.02, -0.15, 0.2]], "values": [3.0, 2.0, 4.0]}

def problem(status: int, title: str, detail: str, **extra: Any) -> httpx.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": "/x", **extra}
    return httpx.Response(status, content=json.dumps(body), headers={"content-type": PROBLEM})


class FakeBackend:
    """Answers like the real API for run "tiny"; ``calls`` records (method, path, query, body)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.runs = [deepcopy(RUN)]
        self.jobs: dict[str, dict[str, Any]] = {}
        self.overrides: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}
        self.workers = 1  # job workers GET /ready reports
        self.lenses = [deepcopy(LENS_SUMMARY)]  # run tiny's lenses

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        self.calls.append((request.method, path, dict(request.url.params), body))
        if (request.method, path) in self.overrides:
            return self.overrides[(request.method, path)](request)
        return self.route(request.method, path.removeprefix("/api/v1"), body, dict(request.url.params))

    def answers(self) -> dict[str, Any]:
        """The fixed JSON answers to GET, by path under /api/v1."""
        return {"/runs": {"runs": self.runs}, "/families": FAMILIES, "/datasets": DATASETS,
                "/runs/tiny": DETAIL, "/runs/tiny/factors": FACTORS, "/runs/tiny/embedding": EMBEDDING,
                "/runs/tiny/metrics": {"run_id": "tiny", "version": VERSION, "metrics": METRICS},
                "/runs/tiny/traversal": TRAVERSAL, "/runs/tiny/log": TRAIN_LOG, "/health": HEALTH,
                "/auth/whoami": WHOAMI_OPEN,
                "/runs/tiny/factor-mi": FACTOR_MI, "/runs/tiny/typical-item": TYPICAL,
                "/runs/tiny/neighbours": NEIGHBOURS, "/datasets/glyphs/items/search": ITEM_SEARCH,
                "/runs/tiny/projections/pca": EMBEDDING, "/item-sets/s1": ITEM_SET,
                "/runs/tiny/item-sets": {"sets": [{k: v for k, v in ITEM_SET.items() if k in SET_SUMMARY}]},
                "/runs/grouped/factor-mi": {**FACTOR_MI, "run_id": "grouped"},
                "/runs/grouped/typical-item": {**TYPICAL, "run_id": "grouped"},
                "/ready": {"status": "ready", "checks": {"runs": True}, "workers": self.workers},
                "/runs/grouped": {**DETAIL, **GROUPED_RUN}, "/runs/grouped/groups/heatmap": HEATMAP,
                "/runs/grouped/traversal": GROUPED_TRAVERSAL, "/runs/grouped/factors": {**FACTORS, "run_id": "grouped"},
                "/datasets/digits/attributes": ATTRIBUTES, "/runs/tiny/lenses": {"lenses": self.lenses},
                "/runs/tiny/lenses/lens-a": LENS_DETAIL, "/runs/tiny/lenses/lens-a/score": LENS_SCORE,
                "/runs/tiny/lenses/lens-a/embedding": LENS_EMBEDDING}

    def route(self, method: str, path: str, body: Any, params: dict[str, str]) -> httpx.Response:
        answers = self.answers()
        if method == "GET" and path in answers:
            return httpx.Response(200, json=answers[path])
        if method == "POST" and path == "/runs":
            return self.create(body)
        if method == "POST" and path == "/runs/tiny/lenses":
            return self.create_lens(body)
        if method == "POST" and path == "/runs/tiny/projections":
            return self.accept("pj1", "projection", "tiny")
        if method == "POST" and path == "/runs/tiny/item-sets":
            return httpx.Response(201, json={k: v for k, v in ITEM_SET.items() if k in SET_SUMMARY | {"items"}})
        if path.startswith("/jobs"):
            return self.job_route(method, path.removeprefix("/jobs").lstrip("/"), params)
        if method == "POST" and path == "/runs/tiny/metrics":
            return self.accept("ev1", "evaluate", "tiny")
        if method == "POST" and path.endswith("/train") and self.known(path.split("/")[2]):
            return self.accept("rs1", "train", path.split("/")[2])
        if method == "DELETE" and self.known(path.removeprefix("/runs/")):
            self.runs = [r for r in self.runs if r["run_id"] != path.removeprefix("/runs/")]
            return httpx.Response(204)
        if method == "GET" and path == "/runs/tiny/groups/heatmap":
            return problem(409, "Conflict", "run 'tiny' (family vae) has no output groups; expected a run of a "
                           "family with group structure (oi_vae)", type="tag:factorscope.dev,2025:problems/no-groups")
        if method == "GET" and path.endswith(".png") and path.startswith(("/runs/tiny/", "/datasets/digits/items/",
                                                                          "/datasets/digits/sprites/")):
            return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
        return problem(404, "Not Found", f"no run or route {path!r}; expected one of the ids listed by GET /runs")

    def job_route(self, method: str, job_id: str, params: dict[str, str]) -> httpx.Response:
        """GET /jobs (newest first; ``kind``, ``state`` and ``active`` filter), GET and DELETE /jobs/{id}."""
        if method == "GET" and not job_id:
            kinds = (params["kind"],) if "kind" in params else ("train", "evaluate")
            states = ("queued", "running") if params.get("active") == "true" else STATES
            return httpx.Response(200, json={"jobs": [j for j in reversed(self.jobs.values())
                                                      if j["kind"] in kinds and j["state"] in states]})
        if job_id not in self.jobs:
            return problem(404, "Not Found", f"no job {job_id!r}; expected an id from GET /jobs")
        if method == "DELETE" and self.jobs[job_id]["state"] in ("queued", "running"):
            self.jobs[job_id].update(state="cancelled", cancel_requested=True)
        return httpx.Response(200, json=self.jobs[job_id])

    def known(self, run_id: str) -> bool:
        """A run listed, or one a job was queued for (tests list a new run when they choose)."""
        return any(r["run_id"] == run_id for r in self.runs) or any(
            j["payload"]["run_id"] == run_id for j in self.jobs.values())

    def accept(self, job_id: str, kind: str, run_id: str) -> httpx.Response:
        """A job queued: 202 with its id, run and URL."""
        self.jobs[job_id] = self.job(job_id, kind, run_id)
        return httpx.Response(202, json={"job_id": job_id, "run_id": run_id, "job_url": f"/api/v1/jobs/{job_id}"})

    def create(self, body: dict[str, Any]) -> httpx.Response:
        if body["config"].get("latent_dim", 1) < 1:  # as the real API words it (backend/errors.py InvalidInput)
            msg = "VAEConfig: latent_dim must be in 1..512, got 0"
            return problem(422, "Unprocessable Content", f"body.config: {msg}", errors=[
                {"loc": ["body", "config"], "msg": msg}], type="tag:factorscope.dev,2025:problems/invalid-input")
        if body.get("run_id") == "tiny":
            return problem(409, "Conflict", "run 'tiny' already exists; expected a new run_id (or none)",
                           type="tag:factorscope.dev,2025:problems/run-exists")
        run_id = body.get("run_id", "new-run")
        return self.accept("ab12", "train", run_id)

    def create_lens(self, body: dict[str, Any]) -> httpx.Response:
        """POST /runs/tiny/lenses: 422 for no attributes (as pydantic words it), 409 for a lens id in use."""
        if not body.get("attributes"):
            msg = "List should have at least 1 item after validation, not 0"
            return problem(422, "Unprocessable Content", f"body.attributes: {msg}", errors=[
                {"loc": ["body", "attributes"], "msg": msg}], type="tag:factorscope.dev,2025:problems/invalid-input")
        if body.get("lens_id") in ("tiny", "lens-a"):
            return problem(409, "Conflict", f"run {body['lens_id']!r} already exists; expected a new run_id (or none)",
                           type="tag:factorscope.dev,2025:problems/run-exists")
        return self.accept("lf1", "lens_fit", body.get("lens_id", "tiny-lens"))

    @staticmethod
    def job(job_id: str, kind: str, run_id: str) -> dict[str, Any]:
        return {"job_id": job_id, "kind": kind, "state": "queued", "progress": 0.0, "message": "",
                "payload": {"run_id": run_id}, "result": None, "result_url": None, "error": None, "created": "",
                "updated": "", "cancel_requested": False, "job_url": f"/api/v1/jobs/{job_id}", "jobs_ahead": None}
