"""docs/results.md's ISA-VAE table (issue 21; seed 003, SCIENCE.md section 5): dSprites, ISA-VAE vs the normal-prior
VAE at beta = 1, and ISA-beta-TCVAE vs beta-TCVAE at beta = 2, over seeds.

All four models train and are evaluated by ``bench/dsprites_results.py``'s ``run_one`` (same conv encoder/decoder,
Adam lr 5e-4, batch 64, step budget, ``models.report``), with the ISA preset's K = 20 latents for all: the paper's
dSprites layout, 5 subspaces of 4 dims, p0 = 2.1, p_i = 2.2 (learned). Within a pair only the prior differs. Each row
adds what tells whether the model learned: its total KL(q(z|x) || p(z)) under its own prior on held-out items, its
active dims (Var_x[mu_j] > 0.01, Burda et al. 2016) and, for an ISA run, its learned subspace exponents.

    python bench/isa_results.py --home var/results-isa --seeds 0 1 2 --steps 120 --jobs 2 --out rows.json  # CPU
    python bench/isa_results.py --home var/results-isa-full --seeds 0 1 2 --steps 30000 --full  # GPU
    python bench/isa_results.py --home /tmp/isa --seeds 0 --steps 2 --quick --models vae isa_vae  # a smoke run
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from dsprites_results import run_one

from backend.runs import load_run
from models import (
    EvalConfig,
    LatentModel,
    LpNested,
    TrainConfig,
    config_from_dict,
    cpu_threads,
    get_dataset,
    split_indices,
)
from models.datasets import Dataset, evenly_spaced
from models.evaluation import model_device
from models.training import select_device

K = 20  # the ISA preset's latent dims (5 x 4), for the normal-prior models too: the same networks
TC_BETA = 2.0  # the seed's beta-TCVAE comparison point (MIG(Chen) 0.30 at beta = 2); at beta = 1 it is the VAE
MODELS = (("VAE", "vae", {"latent_dim": K, "beta": 1.0}), ("ISA-VAE", "isa_vae", {"latent_dim": K, "beta": 1.0}),
          ("beta-TCVAE (beta=2)", "beta_tcvae", {"latent_dim": K, "beta": TC_BETA}),
          ("ISA-beta-TCVAE (beta=2)", "isa_beta_tcvae", {"latent_dim": K, "beta": TC_BETA}))
ACTIVE_VARIANCE = 0.01  # a dim is active when Var_x[mu_j(x)] exceeds this (Burda et al. 2016)
KL_ITEMS, KL_SAMPLES = 500, 10  # held-out items and posterior draws per item of the total KL
CPU = EvalConfig(n_points=5_000, n_info=1_000, chen_items=3_000, n_classifier=500, dci_estimators=5,
                 factor_vae_votes=50, ll_items=100)  # the default report: about half the CPU defaults' work
QUICK = EvalConfig(n_points=500, n_info=300, chen_items=500, n_classifier=200, dci_estimators=2,
                   factor_vae_votes=20, ll_items=20, ll_samples=100)  # --quick: a smoke run's report, seconds


def total_kl(model: LatentModel, dataset: Dataset, indices: np.ndarray, samples: int, seed: int) -> float:
    """Mean over ``indices`` of KL(q(z|x) || p(z)) under the model's own prior, in nats: closed form where the
    prior has it (N(0, I)), else the mean of ``samples`` Monte Carlo draws of log q(z|x) - log p(z) per item."""
    device = model_device(model)
    gen, values = torch.Generator(device=device).manual_seed(seed), []
    with torch.inference_mode():
        for start in range(0, len(indices), 100):
            posterior = model.encode(torch.from_numpy(dataset.items(indices[start:start + 100])).to(device))
            kl = model.prior.kl(posterior, posterior.rsample(gen, (samples,)))  # (S, B), or (B,) in closed form
            values.append(kl.double().reshape(-1, kl.shape[-1]).mean(0))  # (B,)
    return float(torch.cat(values).mean())


def learned(home: Path, row: dict[str, Any]) -> dict[str, Any]:
    """Total KL on held-out items, active dims and (ISA) learned exponents of the run behind a ``run_one`` row."""
    model, record = load_run(home, row["run_id"], str(select_device("auto")))
    dataset = get_dataset("dsprites")
    train = config_from_dict(TrainConfig, record.train)
    held = evenly_spaced(split_indices(len(dataset), train.val_fraction, train.seed)[1], KL_ITEMS)
    variances = [d["variance"] for d in row["report"]["factors"]["dims"]]
    prior = model.prior
    return {"total_kl": total_kl(model, dataset, held, KL_SAMPLES, row["seed"]),
            "active_dims": sum(v > ACTIVE_VARIANCE for v in variances),
            "p_inner": prior.p_inner.tolist() if isinstance(prior, LpNested) else None}


def one(home: Path, label: str, family: str, config: dict, seed: int, steps: int, cfg: EvalConfig,
        threads: int) -> dict[str, Any]:
    """Train and evaluate one model with ``threads`` CPU threads (0: torch's default); the JSON row."""
    with cpu_threads(threads):
        row = run_one(home, label, family, config, seed, steps, cfg)
        return {**row, **learned(home, row)}


def cells(r: dict[str, Any]) -> list[float]:
    """MIG (Chen), MIG (dlib), recon. NLL, IW log p(x), total KL, active dims of one row."""
    m, rep = r["report"]["metrics"], r["report"]
    return [m["mig_chen"]["value"], m["mig_dlib"]["value"], rep["reconstruction"]["nll"],
            rep["log_likelihood"]["iw_elbo"], r["total_kl"], r["active_dims"]]


FORMATS = ("{:.3f}", "{:.3f}", "{:.1f}", "{:.1f}", "{:.1f}", "{:.0f}")
COLUMNS = "MIG (Chen) | MIG (dlib) | recon. NLL (nats) | IW log p(x) (S=100) | total KL (nats) | active dims"


def seed_row(r: dict[str, Any]) -> str:
    exponents = " ".join(f"{p:.2f}" for p in r["p_inner"]) if r["p_inner"] else "-"
    values = " | ".join(f.format(v) for f, v in zip(FORMATS, cells(r), strict=True))
    return f"| {r['label']} | {r['seed']} | {values} | {exponents} | {r['train_s']} |"


def mean_rows(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Per model (in MODELS order): mean ± sample std over its seeds of every column (± 0 for one seed)."""
    out = []
    for label, _, _ in MODELS:
        mine = [cells(r) for r in rows if r["label"] == label]
        if mine:
            cols = [(statistics.mean(c), statistics.stdev(c) if len(c) > 1 else 0.0) for c in zip(*mine, strict=True)]
            text = " | ".join(f"{f.format(m)} ± {f.format(s)}" for f, (m, s) in zip(FORMATS, cols, strict=True))
            out.append(f"| {label} | {len(mine)} | {text} |")
    return out


def run_all(args: argparse.Namespace, cfg: EvalConfig) -> Iterator[dict[str, Any]]:
    """Every (seed, model) row, seed by seed, ``args.jobs`` at a time in spawned processes."""
    chosen = [m for m in MODELS if m[1] in args.models]
    tasks = [(args.home, *m, seed, args.steps, cfg, args.threads) for seed in args.seeds for m in chosen]
    if args.jobs == 1:
        yield from (one(*task) for task in tasks)
        return
    with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from (future.result() for future in [pool.submit(one, *task) for task in tasks])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", type=Path, default=Path("var/results-isa"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=120)
    families = [m[1] for m in MODELS]
    p.add_argument("--models", nargs="+", choices=families, default=families, help="families to run (default: all)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="dlib-sized reports, MIG(Chen) on all 737,280 images")
    size.add_argument("--quick", action="store_true", help="a tiny report, for a smoke run")
    p.add_argument("--jobs", type=int, default=1, help="models trained at once, each in its own process")
    p.add_argument("--threads", type=int, default=1, help="CPU threads per process (0: torch's default)")
    p.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    args = p.parse_args()
    if args.jobs < 1 or args.threads < 0 or args.steps < 1:
        p.error(f"expected --jobs >= 1, --threads >= 0, --steps >= 1; got {args.jobs}, {args.threads}, {args.steps}")
    cfg = EvalConfig.full() if args.full else QUICK if args.quick else CPU
    print(f"| model | seed | {COLUMNS} | learned p_i | train s |\n" + "|---" * 10 + "|", flush=True)
    rows: list[dict[str, Any]] = []
    for row in run_all(args, cfg):
        rows.append(row)
        print(seed_row(row), flush=True)
        if args.out:  # after every row: a run stopped early keeps what it finished
            args.out.write_text(json.dumps(rows, indent=1))
    print(f"\n| model | seeds | {COLUMNS} |\n" + "|---" * 8 + "|\n" + "\n".join(mean_rows(rows)), flush=True)


if __name__ == "__main__":
    main()
