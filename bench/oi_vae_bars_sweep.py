"""oi-VAE on seed 000's bars (issue 18 item 2; SCIENCE.md section 4): where does the K = 8 recovery hold?

One run per cell x seed, trained with ``models.fit`` on one CPU thread: the seed's protocol (the reference code's
``bars_data_oivae.py``: Adam lr 1e-2, batch 64, ~20k steps, K = 8, p = 1, linear group generators, a standard-normal
prior on the generators' weights added undivided to a per-example likelihood: theta_prior_scaling "reference"),
then a polish of 200 full-batch steps (Adam lr 1e-3, tests/models/test_oi_vae.py's second phase). The encoder is
an MLP with one hidden layer of 256 (the reference's is linear; the family needs a hidden layer). The grid is the
product of --lams, --w-lrs, --w-init-stds, --prox-warmups and --batch-sizes; every oi-VAE config field is passed
explicitly (``oi_config``). The split is the test's: 1,843 training items, 205 validation items.

Per run, at the snapshot steps (--snapshots) and after the polish:
  - ``recovered``: the heatmap H[g, j] = ||W^(g)[:, j]|| (8 rows x K dims) has exactly one nonzero entry per row,
    in a different dim for every row (a permutation for K = 8; for K > 8 the other dims all-zero), every other
    entry exactly 0.0 (``recovered``); ``perm``: the weaker test's-style pattern (each row's largest entry in its
    own dim and >= 0.9 of the row's sum, zeros or not);
  - ``zeros``: entries of H exactly 0.0 (of 8K; a recovered K = 8 model has 56);
  - ``hold``: of the links off the pattern (each row's largest entry is on it), the fraction whose minibatch
    gradient of the smooth loss at a training batch is within lam: with p = 1, a link at zero stays exactly zero
    after an SGD + prox step iff |grad| <= lam, whatever the SGD step w_lr (measured on 16 batches at the end);
  - ``kl``: total E_x KL(q(z|x) || p(z)) in nats and ``active`` dims (Var_x E[z_j|x] > 0.01) over all 2,048 items.
Results go to --out (JSON lines, one per run; runs already there are skipped, so an interrupted sweep resumes).

    python bench/oi_vae_bars_sweep.py [--lams 1 2 4 8] [--w-lrs 1e-4 1e-3] [--w-init-stds 1] [--prox-warmups 0]
        [--batch-sizes 64] [--steps 20000] [--snapshots 2000 10000] [--seeds 0 1] [--procs 2]
        [--out var/bench/oi_vae_bars_sweep.jsonl]
    python bench/oi_vae_bars_sweep.py --quick --out /tmp/x/sweep.jsonl   # a smoke run (a minute)
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from glyphs_base import latent_summary

from models import DataSpec, Progress, TrainConfig, fit, get_dataset, get_family
from models.datasets import Dataset
from models.evaluation import encode_dataset
from models.families.oi_vae import OIVAE, OIVAEConfig
from models.training import batch_indices, split_indices, to_batch

LR = 1e-2  # Adam on encoder and generators (the reference code's)
POLISH_STEPS, POLISH_LR = 200, 1e-3  # full-batch Adam steps after the main phase (tests/models/test_oi_vae.py)
SPLIT_SEED = 0  # the train / validation split (10% validation), as the test's
HOLD_BATCHES = 16
NET = {"latent_dim": 8, "hidden": [256], "architecture": "mlp", "conv_channels": [32], "likelihood": "gaussian",
       "group_input_dim": 1, "generator_hidden": [], "theta_prior": 1.0, "theta_prior_scaling": "reference",
       "beta": 1.0}  # theta prior undivided beside the per-example likelihood: the reference code's (SCIENCE.md)


@dataclass(frozen=True)
class Cell:
    lam: float
    w_lr: float
    w_init_std: float
    prox_warmup: int
    batch_size: int
    steps: int

    def label(self) -> str:
        return (f"lam {self.lam:g}, w_lr {self.w_lr:g}, w_init_std {self.w_init_std:g}, warmup {self.prox_warmup}, "
                f"batch {self.batch_size}")


def oi_config(cell: Cell, latent_dim: int) -> dict[str, Any]:
    """Every OIVAEConfig field, explicitly (the family's defaults may change under us); raises when the config has a
    field this bench does not set, so a new option cannot silently take its default here."""
    config = {**NET, "latent_dim": latent_dim, "lam": cell.lam, "w_lr": cell.w_lr, "w_init_std": cell.w_init_std,
              "prox_warmup": cell.prox_warmup}
    missing = {f.name for f in fields(OIVAEConfig)} - config.keys()
    if missing:
        raise RuntimeError(f"oi_vae_bars_sweep sets no value for OIVAEConfig fields {sorted(missing)}; add them to NET")
    return config


def pattern(h: np.ndarray) -> np.ndarray:
    """(G, K) heatmap -> (G,) each row's dominant latent dim (its largest entry)."""
    return h.argmax(axis=1)


def recovered(h: np.ndarray) -> bool:
    """Exactly one nonzero entry per row, in a different dim for every row; all other entries exactly 0.0."""
    nonzero = h != 0.0
    return bool(np.all(nonzero.sum(axis=1) == 1) and len(set(pattern(h).tolist())) == h.shape[0])


def soft_pattern(h: np.ndarray) -> bool:
    """The test's pattern without its exact zeros: distinct dominant dims, each >= 0.9 of its row's sum."""
    return bool(len(set(pattern(h).tolist())) == h.shape[0] and np.all(h.max(axis=1) >= 0.9 * h.sum(axis=1)))


def heatmap_stats(h: np.ndarray) -> dict[str, Any]:
    return {"recovered": recovered(h), "perm": soft_pattern(h), "zeros": int((h == 0.0).sum())}


def zero_hold(model: OIVAE, dataset: Dataset, train: np.ndarray, cell: Cell, seed: int) -> float:
    """Fraction of (batch, off-pattern link) pairs whose minibatch gradient on W is within lam (p = 1: the link,
    if at zero, stays exactly zero through the next SGD + prox step). HOLD_BATCHES batches of cell.batch_size."""
    off = np.ones(model.latent_to_group().shape, dtype=bool)  # (G, K)
    off[np.arange(off.shape[0]), pattern(model.latent_to_group().numpy())] = False
    held = []
    for step in range(HOLD_BATCHES):
        x = to_batch(dataset, batch_indices(train, cell.batch_size, seed + 1000, step), torch.device("cpu"))
        (grad_w,) = torch.autograd.grad(model.loss(x).total, [model.generator.W])
        grad = grad_w.norm(dim=1).numpy()  # (G, K): the column norm of the gradient, p = 1: |grad|
        held.append(grad[off] <= cell.lam)
    return float(np.mean(held))


def train_one(job: tuple[Cell, int, int, tuple[int, ...]]) -> dict[str, Any]:
    """One run: fit, snapshots of the heatmap, polish, the final statistics."""
    cell, latent_dim, seed, snapshots = job
    torch.set_num_threads(1)
    start = time.perf_counter()
    dataset = get_dataset("bars")
    train, val = split_indices(len(dataset), 0.1, SPLIT_SEED)
    spec = get_family("oi_vae")
    model = spec.build(spec.config(oi_config(cell, latent_dim)), DataSpec.from_info(dataset.info, len(train)), seed)
    assert isinstance(model, OIVAE)
    seen: dict[int, dict[str, Any]] = {}

    def snapshot(p: Progress) -> None:
        if p.step in snapshots:
            seen[p.step] = heatmap_stats(model.latent_to_group().numpy())

    main = TrainConfig(steps=cell.steps, batch_size=cell.batch_size, lr=LR, seed=seed, eval_every=cell.steps,
                       log_every=math.gcd(*snapshots), checkpoint_every=0, device="cpu", threads=1)
    fit(model, dataset, train, val, main, on_progress=snapshot)
    final = {**heatmap_stats(model.latent_to_group().numpy()), "hold": zero_hold(model, dataset, train, cell, seed)}
    polish = TrainConfig(steps=POLISH_STEPS, batch_size=len(train), lr=POLISH_LR, seed=seed, eval_every=POLISH_STEPS,
                         checkpoint_every=0, device="cpu", threads=1)
    fit(model, dataset, train, val, polish)
    h = model.latent_to_group().numpy()
    model.eval()
    everything = np.arange(len(dataset))
    mu, logvar = encode_dataset(model, dataset, everything)
    summary = latent_summary(model, mu, logvar, seed)
    return {"cell": asdict(cell), "latent_dim": latent_dim, "seed": seed, "snapshots": seen, "final": final,
            "polished": heatmap_stats(h), "heatmap": h.tolist(), "kl": summary["kl"],
            "active": summary["active"], "seconds": round(time.perf_counter() - start, 1)}


def run_key(cell: Cell, latent_dim: int, seed: int) -> str:
    return json.dumps([asdict(cell), latent_dim, seed], sort_keys=True)


def done_runs(out: Path) -> dict[str, dict[str, Any]]:
    if not out.is_file():
        return {}
    runs = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return {run_key(Cell(**r["cell"]), r["latent_dim"], r["seed"]): r for r in runs}


def sweep(cells: list[Cell], latent_dim: int, seeds: list[int], snapshots: tuple[int, ...], procs: int,
          out: Path) -> list[dict[str, Any]]:
    """Train every (cell, seed) not yet in ``out`` (at most ``procs`` at a time), appending each result to it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    have = done_runs(out)
    todo = [(c, latent_dim, s, snapshots) for c in cells for s in seeds if run_key(c, latent_dim, s) not in have]
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        for result in pool.imap_unordered(train_one, todo):
            with out.open("a") as f:
                f.write(json.dumps(result) + "\n")
            print(f"  {Cell(**result['cell']).label()}, seed {result['seed']}: {result['polished']}, "
                  f"kl {result['kl']:.1f}, active {result['active']} ({result['seconds']:.0f} s)", flush=True)
    have = done_runs(out)
    return [have[run_key(c, latent_dim, s)] for c in cells for s in seeds]


def per_seed(values: list[Any]) -> str:
    return " ".join(str(v) for v in values)


def row_for(cell: Cell, runs: list[dict[str, Any]], snapshots: tuple[int, ...]) -> str:
    """One markdown row per cell (values per seed, space-separated): zeros at each snapshot step and at the end of the
    main phase, its pattern and hold there; after the polish recovered, zeros, KL and active dims."""
    n = len(runs)
    final, polished = [r["final"] for r in runs], [r["polished"] for r in runs]
    zeros = [[r["snapshots"][str(s)]["zeros"] for r in runs] for s in snapshots if s < cell.steps]
    trajectory = " / ".join(per_seed(z) for z in [*zeros, [s["zeros"] for s in final]])
    columns = [f"{cell.lam:g}", f"{cell.w_lr:g}", f"{cell.w_init_std:g}", str(cell.prox_warmup), str(cell.batch_size),
               f"{cell.steps:,}", trajectory, f"{sum(s['perm'] for s in final)}/{n}",
               per_seed([f"{s['hold']:.2f}" for s in final]),
               f"**{sum(s['recovered'] for s in polished)}/{n}**", per_seed([s["zeros"] for s in polished]),
               per_seed([f"{r['kl']:.1f}" for r in runs]), per_seed([r["active"] for r in runs])]
    return "| " + " | ".join(columns) + " |"


def header(snapshots: tuple[int, ...], steps: int) -> str:
    at = " / ".join(f"{s:,}" for s in [*(s for s in snapshots if s < steps), steps])
    names = ["lam", "w_lr", "w_init_std", "prox_warmup", "batch", "steps", f"zeros at {at}", "perm", "hold",
             f"recovered (+{POLISH_STEPS} full batch)", "zeros", "KL nats", "active dims"]
    return "| " + " | ".join(names) + " |\n|" + "---|" * len(names)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lams", type=float, nargs="+", default=[1.0, 2.0, 4.0, 8.0])
    p.add_argument("--w-lrs", type=float, nargs="+", default=[1e-4, 1e-3])
    p.add_argument("--w-init-stds", type=float, nargs="+", default=[1.0])
    p.add_argument("--prox-warmups", type=int, nargs="+", default=[0])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[64])
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--snapshots", type=int, nargs="+", default=[2000, 10_000])
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--procs", type=int, default=2, choices=[1, 2])
    p.add_argument("--out", type=Path, default=Path("var/bench/oi_vae_bars_sweep.jsonl"))
    p.add_argument("--quick", action="store_true", help="one cell, 300 steps, one seed: a smoke run")
    args = p.parse_args()
    if args.quick:
        args.lams, args.w_lrs, args.steps, args.snapshots, args.seeds = [4.0], [1e-3], 300, [100], [0]
    snapshots = tuple(sorted(args.snapshots))
    cells = [Cell(*values, steps=args.steps) for values in itertools.product(
        args.lams, args.w_lrs, args.w_init_stds, args.prox_warmups, args.batch_sizes)]
    start = time.perf_counter()
    runs = sweep(cells, args.latent_dim, args.seeds, snapshots, args.procs, args.out)
    print(header(snapshots, args.steps))
    for i, cell in enumerate(cells):
        print(row_for(cell, runs[i * len(args.seeds) : (i + 1) * len(args.seeds)], snapshots))
    print(f"\nK = {args.latent_dim}, seeds {args.seeds}, Adam lr {LR:g}; theta prior weight {NET['theta_prior']:g}, "
          f"scaling {NET['theta_prior_scaling']}; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
