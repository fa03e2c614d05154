"""The base VAE the glyphs lens benches look through: one MLP VAE per seed, trained once with the project's own run
code (``backend.runs``: config.json + safetensors, like any run, so ``factorscope`` can open and check it) under
``cache``, then the encoder mean of every glyphs item.

    python bench/glyphs_base.py [--cache var/bench] [--steps 4000] [--seed 0]   # trains (once) and prints KL/dims
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from backend.runs import create_run, load_run, run_dir, train_run
from models import Dataset, LatentModel, TrainConfig, get_dataset
from models.evaluation import encode_dataset, kl_per_dim

DATASET = "glyphs"
CONFIG = {"latent_dim": 10, "hidden": [512, 256], "architecture": "mlp"}  # an MLP: the fastest net on a CPU
STEPS = 4000  # Adam steps of 128 items (~90 epochs): minutes on 2 busy cores; the loss gains < 1 nat from 3,000 on
ACTIVE_VARIANCE = 0.01  # a dim is active when Var_x[E q(z_j|x)] exceeds this (Burda et al. 2016's criterion)


def run_id(steps: int, seed: int) -> str:
    return f"glyphs-vae-s{seed}-{steps}"


def train_base(cache: Path, steps: int, seed: int) -> str:
    """Create and train (both skipped when already done) the base run under ``cache``; returns its run id."""
    rid = run_id(steps, seed)
    if not (run_dir(cache, rid) / "config.json").is_file():
        train = TrainConfig(steps=steps, batch_size=128, lr=1e-3, seed=seed, eval_every=max(steps // 10, 1),
                            checkpoint_every=max(steps // 4, 1), device="cpu", threads=1)  # 1: fastest on a busy CPU
        create_run(cache, "vae", CONFIG, DATASET, train, rid)
    train_run(cache, rid)
    return rid


def base_model(cache: Path, steps: int, seed: int) -> LatentModel:
    """The trained base VAE (eval mode, CPU), training it first when ``cache`` has not got it."""
    return load_run(cache, train_base(cache, steps, seed), "cpu")[0]


def latent_summary(model: LatentModel, mu: np.ndarray, logvar: np.ndarray, seed: int) -> dict[str, object]:
    """mu, logvar (N, K) -> {"kl": total E_x KL(q(z|x) || p(z)) in nats, "kl_per_dim": (K,), "active": count,
    "variance": (K,) Var_x[mu_j]}."""
    kl, var = kl_per_dim(model, mu, logvar, seed), mu.var(0)
    return {"kl": float(kl.sum()), "kl_per_dim": kl.round(2).tolist(), "active": int((var > ACTIVE_VARIANCE).sum()),
            "variance": var.round(3).tolist()}


def base_representation(cache: Path, steps: int, seed: int) -> tuple[np.ndarray, Dataset]:
    """(codes (N, K) float64: the base VAE's encoder mean of every glyphs item, in item order; the dataset)."""
    model, dataset = base_model(cache, steps, seed), get_dataset(DATASET)
    mu, _ = encode_dataset(model, dataset, np.arange(len(dataset)))
    return mu, dataset


def base_summary(cache: Path, steps: int, seed: int) -> dict[str, object]:
    """The base VAE's total KL and active dims over every glyphs item (``latent_summary``)."""
    model, dataset = base_model(cache, steps, seed), get_dataset(DATASET)
    mu, logvar = encode_dataset(model, dataset, np.arange(len(dataset)))
    return latent_summary(model, mu, logvar, seed)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", type=Path, default=Path("var/bench"))
    p.add_argument("--steps", type=int, default=STEPS)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    start = time.perf_counter()
    train_base(args.cache, args.steps, args.seed)
    print(f"base run {run_id(args.steps, args.seed)} ready in {time.perf_counter() - start:.0f} s", flush=True)
    print(base_summary(args.cache, args.steps, args.seed))


if __name__ == "__main__":
    main()
