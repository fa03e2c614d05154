"""docs/results.md's lens table (issue 16; seed 001 Table 1): the interpretability score on glyphs of the base VAE's
own dims, an ILVM lens's z* and a FILVM lens's z*, for 100, 500 and 2,000 revealed labels of the digit class and the
stroke width (the seed's MNIST attributes: digit and thickness), and the thickness x digit manipulation grid.

Everything goes through the API as a user's lens does (in-process: POST the lens with oracle labels, the real
worker runs its ``lens_fit`` job, GET its score and its manipulation.png) over the base run of
``bench/glyphs_base.py``. The score is the API's score table (``backend.lenses.score``): trained on the revealed
items, tested on 2,000 other items against ground truth; the stroke width binned into 5 quantile classes. A cell's
overall value is the geometric mean over the two attributes of their geometric-mean probabilities of the true class.
JLVM (with ``--jlvm``): ``bench/jlvm_results.py``'s ``jlvm_codes`` (it trains a JLVM run per label budget and seed,
cached), scored on the same items; without it the column is "-".

    python bench/lens_results.py [--cache var/bench] [--seeds 0 1] [--figure docs/figures/lens_manipulation.png]
                                 [--jlvm]
    python bench/lens_results.py --quick --cache /tmp/x --figure /tmp/x/grid.png   # a seconds-long smoke run
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import torch
from fastapi.testclient import TestClient
from glyphs_base import DATASET, STEPS, base_representation, base_summary, run_id, train_base
from jlvm_results import jlvm_codes

from backend.api.request_checks import WRITE_HEADER, WRITE_HEADER_VALUE
from backend.config import Settings
from backend.jobs import run_worker
from backend.lenses.labels import oracle_labels
from backend.lenses.score import score_table
from backend.main import create_app
from models import Dataset, get_dataset

ATTRIBUTES = ("label", "stroke_width")  # glyphs' digit class and stroke width: the seed's digit and thickness
VARIANTS = ("ilvm", "filvm")


@dataclass(frozen=True)
class Budget:
    base_steps: int  # the base VAE's training steps (bench/glyphs_base.py)
    lens_steps: int
    labels: tuple[int, ...]  # revealed items per lens
    k: int  # dim of z*
    hidden: tuple[int, ...]
    grid_steps: int  # values per attribute in the manipulation grid


FULL = Budget(base_steps=STEPS, lens_steps=1000, labels=(100, 500, 2000), k=8, hidden=(128, 128), grid_steps=8)
QUICK = Budget(base_steps=60, lens_steps=20, labels=(100,), k=4, hidden=(16,), grid_steps=3)


class Api:
    """The API in-process on the artifact store ``home``, sending the write header as our clients do, with the real
    job worker at hand; its jobs database ``jobs{tag}.db`` (one per process: a worker runs whatever its database
    queues). Use as a context manager (the app's startup and shutdown)."""

    def __init__(self, home: Path, tag: str = "") -> None:
        self.settings = Settings(home=home, database_url=f"sqlite:///{home}/jobs{tag}.db",
                                 allowed_hosts=["testserver"], device="cpu")
        self.app = create_app(self.settings)
        self.client = TestClient(self.app, headers={WRITE_HEADER: WRITE_HEADER_VALUE})

    def __enter__(self) -> Self:
        self.client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(*exc)

    def get(self, path: str) -> Any:
        """GET ``path``'s JSON; RuntimeError unless 200."""
        got = self.client.get(path)
        if got.status_code != 200:
            raise RuntimeError(f"GET {path}: {got.status_code} {got.text}")
        return got.json() if got.headers["content-type"].startswith("application/json") else got.content

    def run(self, path: str, body: dict[str, Any]) -> None:
        """POST ``body`` to ``path`` and run the job it queued in the real worker; RuntimeError unless it succeeded."""
        made = self.client.post(path, json=body)
        if made.status_code != 202:
            raise RuntimeError(f"POST {path}: {made.status_code} {made.text}")
        run_worker(self.settings, once=True, store=self.app.state.jobs)
        job = self.get(made.json()["job_url"])
        if job["state"] != "succeeded":
            raise RuntimeError(f"the job of POST {path}: {job}")


def lens_id(variant: str, n: int, seed: int, budget: Budget) -> str:
    return f"lens-{variant}-n{n}-s{seed}-{budget.lens_steps}"


def fit_lens(api: Api, base: str, variant: str, n: int, seed: int, budget: Budget) -> dict[str, Any]:
    """POST the lens (unless it is there already) and run its job; returns its score table."""
    lid, url = lens_id(variant, n, seed, budget), f"/api/v1/runs/{base}/lenses"
    if api.client.get(f"{url}/{lid}").status_code == 404:
        api.run(url, {"lens_id": lid, "variant": variant, "k": budget.k, "attributes": list(ATTRIBUTES),
                      "labels": {"oracle": {"n": n, "seed": seed}}, "hidden": list(budget.hidden),
                      "fit": {"steps": budget.lens_steps, "batch_size": 128, "lr": 1e-3, "seed": seed}})
    return api.get(f"{url}/{lid}/score")


def overall(rows: dict[str, Any], code: str) -> float:
    """Geometric mean over the attributes of ``code``'s ("lens" or "base") per-attribute values."""
    return math.exp(float(np.mean([math.log(rows[name][code]["value"]) for name in ATTRIBUTES])))


def cell(rows: dict[str, Any], code: str) -> dict[str, float]:
    return {"overall": overall(rows, code), **{name: rows[name][code]["value"] for name in ATTRIBUTES}}


def jlvm_cell(cache: Path, dataset: Dataset, n: int, seed: int, base: np.ndarray, budget: Budget) -> dict[str, float]:
    """JLVM's scores (``bench/jlvm_results.py``'s run for n labels and the seed) on the lenses' held-out items."""
    codes = jlvm_codes(n=n, seed=seed, steps=budget.base_steps, attributes=ATTRIBUTES, cache=cache)  # (N, K)
    table = score_table(dataset, oracle_labels(dataset, ATTRIBUTES, n, seed), np.arange(len(dataset)), codes, base,
                        seed)
    return cell(table["attributes"], "lens")


def one_seed(cache: Path, seed: int, budget: Budget, jlvm: bool) -> list[dict[str, Any]]:
    """Rows {n, seed, base, ilvm, filvm, jlvm} for every label budget of one seed."""
    base_run = train_base(cache, budget.base_steps, seed)
    base, dataset = base_representation(cache, budget.base_steps, seed)
    rows = []
    with Api(cache, f"-s{seed}") as api:
        for n in budget.labels:
            tables = {v: fit_lens(api, base_run, v, n, seed, budget)["attributes"] for v in VARIANTS}
            rows.append({"n": n, "seed": seed, "base": cell(tables["ilvm"], "base"),
                         **{v: cell(tables[v], "lens") for v in VARIANTS},
                         "jlvm": jlvm_cell(cache, dataset, n, seed, base, budget) if jlvm else None})
    return rows


def manipulation_grid(cache: Path, seed: int, budget: Budget, variant: str, figure: Path) -> str:
    """Save the ``variant`` lens's (most labels) thickness x digit grid around a thin upright 2: the digit's z*
    coordinate along the columns, the stroke width's down the rows (the API's manipulation.png). Returns its URL."""
    dataset = get_dataset(DATASET)
    digit, width = dataset.attribute_values("label"), dataset.attribute_values("stroke_width")
    slant, rotation = dataset.attribute_values("slant"), dataset.attribute_values("rotation")
    item = int(np.flatnonzero((digit == 2) & (width == width.min()) & (slant == 0) & (rotation == 0))[-1])
    base_run = run_id(budget.base_steps, seed)
    url = (f"/api/v1/runs/{base_run}/lenses/{lens_id(variant, max(budget.labels), seed, budget)}/manipulation.png"
           f"?base=item:{item}&a=label&b=stroke_width&steps={budget.grid_steps}&span=2.5")
    with Api(cache) as api:
        png = api.get(url)
    figure.parent.mkdir(parents=True, exist_ok=True)
    figure.write_bytes(png)
    return url


def percent(c: dict[str, float] | None) -> str:
    if c is None:
        return "-"
    return f"{100 * c['overall']:.1f} ({100 * c['label']:.1f} / {100 * c['stroke_width']:.1f})"


HEADER = ("| labels | seed | base VAE dims | ILVM z* | FILVM z* | JLVM z |\n" + "|---" * 6 + "|")
CODES = ("base", "ilvm", "filvm", "jlvm")


def table_row(r: dict[str, Any]) -> str:
    return f"| {r['n']} | {r['seed']} | " + " | ".join(percent(r[c]) for c in CODES) + " |"


def mean_row(rows: list[dict[str, Any]], n: int) -> str:
    """The mean over seeds of each cell (its overall and per-attribute values) for ``n`` labels."""
    same = [r for r in rows if r["n"] == n]
    means = {c: None if any(r[c] is None for r in same) else
             {key: float(np.mean([r[c][key] for r in same])) for key in ("overall", *ATTRIBUTES)} for c in CODES}
    return f"| {n} | mean | " + " | ".join(f"**{percent(means[c])}**" if means[c] else "-" for c in CODES) + " |"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", type=Path, default=Path("var/bench"), help="artifact store of the base runs and lenses")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--figure", type=Path, default=Path("docs/figures/lens_manipulation.png"))
    p.add_argument("--quick", action="store_true", help="a tiny budget: a smoke run of seconds")
    p.add_argument("--grid", choices=VARIANTS, default="filvm", help="the lens whose manipulation grid is saved")
    p.add_argument("--jlvm", action="store_true", help="also train and score JLVM (bench/jlvm_results.py)")
    args = p.parse_args()
    torch.set_num_threads(1)  # the lens's small networks: fastest so on a shared CPU
    budget = QUICK if args.quick else FULL
    start, rows = time.perf_counter(), []
    for seed in args.seeds:
        rows += one_seed(args.cache, seed, budget, args.jlvm)
        print(f"seed {seed}: base run {run_id(budget.base_steps, seed)}",
              base_summary(args.cache, budget.base_steps, seed), flush=True)
    print(f"budget: {budget}; {time.perf_counter() - start:.0f} s in all\n")
    print("interpretability score, % (overall (digit / stroke width))\n" + HEADER)
    for r in rows:
        print(table_row(r))
    for n in budget.labels:
        print(mean_row(rows, n))
    url = manipulation_grid(args.cache, args.seeds[0], budget, args.grid, args.figure)
    print(f"\nmanipulation grid: {url} -> {args.figure}")


if __name__ == "__main__":
    main()
