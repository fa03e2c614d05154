"""Generalisation with little data: VAE vs oi-VAE (seed 000, Table 2; SCIENCE.md sections 4 and 8).

Each model is trained on n items (n in --sizes) drawn from a fixed training pool and scored by the
importance-weighted test log-likelihood (S = 100 samples, nats per item, higher is better), with the
model's total KL to the prior (nats per item) and its active dims (Var_x[mu_j] > 0.01) on the same items, on
  - bars: a fixed held-out set of the same distribution ("iid");
  - humanoid_mocap (when the optional extra is installed): held-out frames of the training clips
    ("iid") and every frame of the held-out clips ("held-out clips", seed 000's brisk walk).
Models: ``vae`` (dense MLP decoder), ``oi_vae`` with lambda = 0 (the seed's "VAE": the same grouped
generators, no sparsity) and ``oi_vae`` with the group lasso. Mean +- std over --seeds; KL (mean over seeds)
and active dims (per seed) say whether a model uses its latents (a collapsed one has KL ~ 0, no active dims).

    python bench/oi_vae_generalisation.py [--seeds 0 1] [--sizes 64 256 1024] [--steps 3000] [--no-mocap | --no-bars]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from models import DataSpec, LatentModel, TrainConfig, fit, get_dataset, get_family
from models.datasets import Dataset
from models.estimators import mean_variance
from models.evaluation import encode_dataset, iw_test_log_likelihood, kl_per_dim

LR = 3e-3  # Adam, every model
ACTIVE_VAR = 0.01  # a dim is active when Var_x[mu_j] exceeds this (as elsewhere in docs/results.md)


@dataclass(frozen=True)
class Model:
    label: str
    family: str
    config: dict[str, Any]


@dataclass(frozen=True)
class Score:
    """One model on one test set: IW log-likelihood and total KL (nats per item), active dims."""

    log_likelihood: float
    kl: float
    active: int


@dataclass(frozen=True)
class Split:
    """A training pool, validation items (for fit's history only) and named test sets."""

    pool: np.ndarray
    val: np.ndarray
    tests: dict[str, np.ndarray]


def models_for(dataset: str, lam: float, steps: int) -> list[Model]:
    """Same encoder and latent size for all three; bars uses the seed's linear group generators. oi-VAE:
    SGD step 1e-3 on W, no prox for the first third of training (tests/models/test_oi_vae.py says why)."""
    net = {"latent_dim": 8, "hidden": [128]}
    oi = {**net, "generator_hidden": [] if dataset == "bars" else [16], "w_lr": 1e-3, "prox_warmup": steps // 3}
    return [
        Model("vae", "vae", net),
        Model("oi_vae lam=0", "oi_vae", {**oi, "lam": 0.0}),
        Model(f"oi_vae lam={lam:g}", "oi_vae", {**oi, "lam": lam}),
    ]


def bars_split() -> Split:
    """bars: a seeded permutation; 512 test items, 128 validation items, the rest the training pool."""
    perm = np.random.default_rng(2018).permutation(len(get_dataset("bars")))
    return Split(pool=perm[640:], val=perm[512:640], tests={"iid": np.sort(perm[:512])})


def mocap_split(dataset: Dataset) -> Split:
    """humanoid_mocap: held-out clips as one test set; of the other clips' frames, 20% iid test, 64 val."""
    from models.datasets.humanoid_mocap import held_out_split

    train, held = held_out_split(dataset)
    perm = np.random.default_rng(2018).permutation(train)
    n_test = len(perm) // 5
    return Split(pool=perm[n_test + 64 :], val=perm[n_test : n_test + 64],
                 tests={"iid": np.sort(perm[:n_test]), "held-out clips": held})


def train_and_score(dataset: Dataset, model: Model, split: Split, n: int, seed: int, steps: int) -> dict[str, Score]:
    """Fit ``model`` on n pool items chosen by ``seed``; its ``Score`` on each test set."""
    train = np.sort(np.random.default_rng([seed, n]).choice(split.pool, size=min(n, len(split.pool)), replace=False))
    spec = get_family(model.family)
    net = spec.build(spec.config(model.config), DataSpec.from_info(dataset.info, len(train)), seed=seed)
    cfg = TrainConfig(steps=steps, batch_size=min(64, len(train)), lr=LR, seed=seed, eval_every=steps,
                      log_every=steps, checkpoint_every=0, device="cpu")
    fit(net, dataset, train, split.val, cfg)
    net.eval()
    return {test: score(net, dataset, idx, seed) for test, idx in split.tests.items()}


def score(net: LatentModel, dataset: Dataset, idx: np.ndarray, seed: int) -> Score:
    mu, logvar = encode_dataset(net, dataset, idx)  # (N, K) each
    return Score(iw_test_log_likelihood(net, dataset, idx, samples=100, seed=seed),
                 float(kl_per_dim(net, mu, logvar, seed).sum()), int((mean_variance(mu) > ACTIVE_VAR).sum()))


def run(name: str, split: Split, sizes: list[int], seeds: list[int], steps: int, lam: float) -> list[list[str]]:
    """Markdown rows: dataset, test set, n, then per model its log-likelihood (mean +- std) and KL / active dims."""
    dataset, models = get_dataset(name), models_for(name, lam, steps)
    scores: dict[tuple[str, int, str], list[Score]] = {}
    for n in sizes:
        for model in models:
            for seed in seeds:
                for test, value in train_and_score(dataset, model, split, n, seed, steps).items():
                    scores.setdefault((test, n, model.label), []).append(value)
                    print(f"# {name} {test} n={n} {model.label} seed {seed}: {value}", flush=True)
    n_used = [min(n, len(split.pool)) for n in sizes]
    return [[name, test, str(n_used[i]), *(c for m in models for c in _cells(scores[(test, n, m.label)]))]
            for test in split.tests for i, n in enumerate(sizes)]


def _cells(values: list[Score]) -> tuple[str, str]:
    """("mean ± std" of the log-likelihoods, "mean KL / active dims per seed")."""
    lls = [v.log_likelihood for v in values]
    spread = statistics.stdev(lls) if len(lls) > 1 else 0.0
    active = ", ".join(str(v.active) for v in values)
    return f"{statistics.mean(lls):.1f} ± {spread:.1f}", f"{statistics.mean(v.kl for v in values):.1f} / {active}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--lam", type=float, default=1.0)
    parser.add_argument("--no-mocap", action="store_true")
    parser.add_argument("--no-bars", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    rows = [] if args.no_bars else run("bars", bars_split(), args.sizes, args.seeds, args.steps, args.lam)
    if not args.no_mocap:
        rows += _mocap_rows(args)
    labels = [m.label for m in models_for("bars", args.lam, args.steps)]
    header = ["dataset", "test", "n train", *(h for label in labels for h in (f"{label} LL", f"{label} KL / active"))]
    print(table(header, rows))
    print(f"\nLL: IW test log-likelihood (S = 100), nats per item, mean ± std over seeds {args.seeds}; KL: total"
          f" KL(q(z|x) || p(z)) on the same items, nats, mean over seeds; active: dims with Var_x[mu_j] >"
          f" {ACTIVE_VAR:g}, per seed; {args.steps} steps (Adam lr {LR:g}, batch 64);"
          f" {time.perf_counter() - start:.0f} s")


def _mocap_rows(args: argparse.Namespace) -> list[list[str]]:
    try:
        dataset = get_dataset("humanoid_mocap")
    except ImportError as err:
        print(f"(humanoid_mocap skipped: {err})")
        return []
    return run("humanoid_mocap", mocap_split(dataset), args.sizes, args.seeds, args.steps, args.lam)


if __name__ == "__main__":
    main()
