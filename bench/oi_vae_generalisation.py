"""Generalisation with little data: VAE vs oi-VAE (seed 000, Table 2; SCIENCE.md sections 4 and 8).

Each model is trained on n items (n in --sizes) drawn from a fixed training pool and scored by the
importance-weighted test log-likelihood (S = 100 samples, nats per item, higher is better) on
  - bars: a fixed held-out set of the same distribution ("iid");
  - humanoid_mocap (when the optional extra is installed): held-out frames of the training clips
    ("iid") and every frame of the held-out clips ("held-out clips", seed 000's brisk walk).
Models: ``vae`` (dense MLP decoder), ``oi_vae`` with lambda = 0 (the seed's "VAE": the same grouped
generators, no sparsity) and ``oi_vae`` with the group lasso. Mean +- std over --seeds.

    python bench/oi_vae_generalisation.py [--seeds 0 1] [--sizes 64 256 1024] [--steps 3000] [--no-mocap]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from models import DataSpec, TrainConfig, fit, get_dataset, get_family
from models.datasets import Dataset
from models.evaluation import iw_test_log_likelihood

LR = 3e-3  # Adam, every model


@dataclass(frozen=True)
class Model:
    label: str
    family: str
    config: dict[str, Any]


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


def train_and_score(dataset: Dataset, model: Model, split: Split, n: int, seed: int, steps: int) -> dict[str, float]:
    """Fit ``model`` on n pool items chosen by ``seed``; IW log-likelihood on each test set."""
    train = np.sort(np.random.default_rng([seed, n]).choice(split.pool, size=min(n, len(split.pool)), replace=False))
    spec = get_family(model.family)
    net = spec.build(spec.config(model.config), DataSpec.from_info(dataset.info, len(train)), seed=seed)
    cfg = TrainConfig(steps=steps, batch_size=min(64, len(train)), lr=LR, seed=seed, eval_every=steps,
                      log_every=steps, checkpoint_every=0, device="cpu")
    fit(net, dataset, train, split.val, cfg)
    net.eval()
    return {test: iw_test_log_likelihood(net, dataset, idx, samples=100, seed=seed)
            for test, idx in split.tests.items()}


def run(name: str, split: Split, sizes: list[int], seeds: list[int], steps: int, lam: float) -> list[list[str]]:
    """Markdown rows: dataset, test set, n, then mean +- std per model."""
    dataset, models = get_dataset(name), models_for(name, lam, steps)
    scores: dict[tuple[str, int, str], list[float]] = {}
    for n in sizes:
        for model in models:
            for seed in seeds:
                for test, value in train_and_score(dataset, model, split, n, seed, steps).items():
                    scores.setdefault((test, n, model.label), []).append(value)
    n_used = [min(n, len(split.pool)) for n in sizes]
    return [[name, test, str(n_used[i]), *(_cell(scores[(test, n, m.label)]) for m in models)]
            for test in split.tests for i, n in enumerate(sizes)]


def _cell(values: list[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1f} ± {spread:.1f}"


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
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    rows = run("bars", bars_split(), args.sizes, args.seeds, args.steps, args.lam)
    if not args.no_mocap:
        rows += _mocap_rows(args)
    header = ["dataset", "test", "n train", *(m.label for m in models_for("bars", args.lam, args.steps))]
    print(table(header, rows))
    print(f"\nIW test log-likelihood (S = 100), nats per item, mean ± std over seeds {args.seeds};"
          f" {args.steps} steps (Adam lr {LR:g}, batch 64); {time.perf_counter() - start:.0f} s")


def _mocap_rows(args: argparse.Namespace) -> list[list[str]]:
    try:
        dataset = get_dataset("humanoid_mocap")
    except ImportError as err:
        print(f"(humanoid_mocap skipped: {err})")
        return []
    return run("humanoid_mocap", mocap_split(dataset), args.sizes, args.seeds, args.steps, args.lam)


if __name__ == "__main__":
    main()
