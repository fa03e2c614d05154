"""docs/results.md's dsprites table: VAE, beta-VAE (beta = 4), beta-TCVAE (beta = 6), with seeds.

Each model trains on the full dsprites grid for a step budget (the images it sees are its training
subset), then ``models.report`` evaluates it. CPU default: a small budget; ``--full`` is the GPU-scale
command (more steps, disentanglement_lib-sized metric samples, MIG(Chen) on all 737,280 images).

    python bench/dsprites_results.py --home var/results --seeds 0 1 [--steps 1500] [--full]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from backend.runs import create_run, evaluate_run, run_dir, train_run
from models.evaluation import EvalConfig
from models.training import TrainConfig, select_device

MODELS: tuple[tuple[str, str, dict[str, float]], ...] = (
    ("VAE", "vae", {}), ("beta-VAE (beta=4)", "vae", {"beta": 4.0}),
    ("beta-TCVAE (beta=6)", "beta_tcvae", {"beta": 6.0}))


def run_one(home: Path, label: str, family: str, config: dict, seed: int, steps: int, cfg: EvalConfig) -> dict:
    """Train the run (skipped when done), then its report with ``cfg`` seeded by ``seed``; the JSON row."""
    run_id = f"results-{label.split()[0].lower()}-s{seed}-{steps}".replace("(", "").replace("_", "-")
    if not (run_dir(home, run_id) / "config.json").is_file():
        train = TrainConfig(steps=steps, batch_size=64, lr=5e-4, seed=seed, eval_every=max(steps // 5, 1),
                            checkpoint_every=max(steps // 5, 1), max_val_items=1024)
        create_run(home, family, {"latent_dim": 10, **config}, "dsprites", train, run_id)
    start = time.perf_counter()
    train_run(home, run_id)
    train_s = time.perf_counter() - start
    report = evaluate_run(home, run_id, replace(cfg, seed=seed), device=str(select_device("auto")))
    return {"label": label, "seed": seed, "run_id": run_id, "train_s": round(train_s), "report": report}


def row(r: dict) -> str:
    m, rep = r["report"]["metrics"], r["report"]
    mi = " ".join(f"{d['mi_gaussian']:.2f}" for d in sorted(rep["factors"]["dims"], key=lambda d: -d["mi_gaussian"]))
    return (f"| {r['label']} | {r['seed']} | {m['mig_dlib']['value']:.3f} | {m['mig_chen']['value']:.3f} | "
            f"{m['sap']['value']:.3f} | {m['dci']['value']:.3f} | {m['factor_vae']['value']:.3f} | "
            f"{rep['reconstruction']['nll']:.1f} | {rep['log_likelihood']['iw_elbo']:.1f} | {mi} |")


HEADER = ("| model | seed | MIG (dlib) | MIG (Chen) | SAP (dlib, discrete) | DCI disent. | FactorVAE | "
          "recon. NLL (nats) | IW log p(x) (S=100) | MI per dim, sorted (nats) |\n" + "|---" * 10 + "|")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--home", type=Path, default=Path("var/results"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--full", action="store_true")
    p.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    args = p.parse_args()
    print(HEADER, flush=True)
    results, cfg = [], EvalConfig.full() if args.full else EvalConfig()
    for seed in args.seeds:
        for label, fam, config in MODELS:
            results.append(run_one(args.home, label, fam, config, seed, args.steps, cfg))
            print(row(results[-1]), flush=True)
    if args.out:
        args.out.write_text(json.dumps([{k: v for k, v in r.items()} for r in results], indent=1))


if __name__ == "__main__":
    main()
