"""Does an oi-VAE use its latents? One short training, then its total KL, MI and active dims (issue 18).

Trains ``oi_vae`` on a grouped dataset's training split (``split_indices(N, 0.1, 0)``) with the family's
defaults plus the JSON config given, 2,000 Adam steps of 64 (lr 1e-3; --steps to change), one thread, and
prints over 1,000 items: total KL(q(z|x) || p(z)) and I(x; z) (nats), active dims (Var_x[mu_j] > 0.01), the
collapse warning (``models.collapse``), the links pruned to exactly zero and the norms of the generators'
weight tensors (a weight prior too strong for the data holds these near zero).

    python bench/oi_vae_prior_scaling.py humanoid_mocap '{"theta_prior_scaling": "reference"}'
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from models import DataSpec, TrainConfig, factor_table, factor_table_warnings, fit, get_dataset, get_family
from models.families.oi_vae import OIVAE
from models.training import split_indices

ACTIVE_VAR = 0.01


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("config", nargs="?", default="{}", help="oi_vae config fields as JSON")
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = get_dataset(args.dataset)
    train, val = split_indices(len(data), 0.1, 0)
    spec = get_family("oi_vae")
    model = spec.build(spec.config(json.loads(args.config)), DataSpec.from_info(data.info, len(train)), seed=0)
    assert isinstance(model, OIVAE)
    start = time.perf_counter()
    fit(model, data, train, val, TrainConfig(steps=args.steps, seed=0, eval_every=args.steps, log_every=args.steps,
                                             checkpoint_every=0, device="cpu", threads=1))
    model.eval()
    table = factor_table(model, data, n=1000, seed=0)
    active = int(sum(d["variance"] > ACTIVE_VAR for d in table["dims"]))
    links = model.latent_to_group()
    norms = [round(float(w.detach().norm()), 2) for w in model.generator.weights]
    print(f"{args.dataset} n={len(train)} config={args.config}: total KL {sum(d['kl'] for d in table['dims']):.2f} "
          f"nats, MI {table['total_mi_gaussian']:.2f} nats, {active} active dims, "
          f"{int((links == 0).sum())} of {links.numel()} links zero, generator weight norms {norms}, "
          f"warnings {factor_table_warnings(table)}; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
