"""Evaluate a trained model on its dataset: encode, per-factor information, top-k, test
log-likelihood and every disentanglement metric the dataset's ground truth allows.

Metrics and estimators stay pure (models.metrics / models.estimators); this module does the sampling
and encoding around them (SCIENCE.md sections 1, 2 and 8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .base import LatentModel
from .datasets import Dataset, evenly_spaced
from .distributions import log_density_gaussian
from .estimators import factor_mutual_information, iw_log_likelihood, kl_per_dim, mean_variance


@dataclass(frozen=True)
class EvalConfig:
    """How much work a report does. Defaults fit a 2-core CPU in a few minutes; ``full()`` is dlib-sized."""

    n_points: int = 10_000  # MIG(dlib), modularity: points sampled uniformly from the factor grid
    n_info: int = 5_000  # per-dim MI / KL / variance and the top-k table
    chen_items: int | None = 10_000  # MIG(Chen): None = all N items (Chen et al.; needs a GPU for dsprites)
    n_classifier: int = 3_000  # SAP / DCI training points (dlib: 10,000)
    dci_estimators: int = 20  # gradient-boosted trees per factor (dlib: 100)
    factor_vae_votes: int = 600  # FactorVAE votes (dlib: 15,000), batch 64
    ll_items: int = 500  # importance-weighted log-likelihood items
    ll_samples: int = 100  # S >= 100 (SCIENCE.md section 8)
    seed: int = 0

    @classmethod
    def full(cls) -> EvalConfig:
        return cls(chen_items=None, n_classifier=10_000, dci_estimators=100, factor_vae_votes=15_000, ll_items=5_000)


def model_device(model: LatentModel) -> torch.device:
    return next(model.parameters()).device


def encode_dataset(model: LatentModel, dataset: Dataset, indices: np.ndarray, batch_size: int = 512,
                   on_batch: Callable[[float], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(N,) indices -> mu, logvar as float64 (N, K), encoded in batches on the model's device."""
    device, mus, logvars = model_device(model), [], []
    with torch.inference_mode():
        for start in range(0, len(indices), batch_size):
            x = torch.from_numpy(dataset.items(indices[start : start + batch_size])).to(device)
            mu, logvar = model.encode(x)
            mus.append(mu.double().cpu().numpy())
            logvars.append(logvar.double().cpu().numpy())
            if on_batch:
                on_batch(min(1.0, (start + batch_size) / len(indices)))
    return np.concatenate(mus), np.concatenate(logvars)


def sample_indices(dataset: Dataset, n: int, rng: np.random.Generator) -> np.ndarray:
    """n items uniformly from the factor grid when there is one (with replacement, as dlib), else a
    random subset of the items (without replacement when n <= N)."""
    if dataset.grid is not None:
        return dataset.grid.to_index(dataset.grid.sample(n, rng))
    return rng.choice(len(dataset), size=n, replace=n > len(dataset))


def top_k_table(model: LatentModel, x: torch.Tensor, mu: torch.Tensor, mi: np.ndarray) -> list[dict[str, float]]:
    """Seed 002, Table 2: keep the k most informative dims of mu, set the rest to the prior mean 0,
    decode; MSE against x and the total kept MI for k = 0..K. x: (B, *shape), mu: (B, K)."""
    order, rows, total = np.argsort(-mi), [], float(mi.sum())
    with torch.inference_mode():
        for k in range(len(mi) + 1):
            z = torch.zeros_like(mu)
            keep = torch.as_tensor(order[:k].copy(), device=mu.device, dtype=torch.long)
            z[:, keep] = mu[:, keep]
            mse = float(((model.decode(z) - x) ** 2).flatten(1).mean(1).mean())
            kept = float(mi[order[:k]].sum())
            rows.append({"k": k, "mse": mse, "kept_mi": kept, "kept_fraction": kept / total if total > 0 else 0.0})
    return rows


def factor_table(model: LatentModel, dataset: Dataset, n: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Per latent dim: MI (both estimators), KL to the prior, Var[mu]; the MI order; the top-k table."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(dataset), size=min(n, len(dataset)), replace=False))
    mu, logvar = encode_dataset(model, dataset, idx)
    mi_g = factor_mutual_information(mu, logvar, "gaussian")
    mi_mc = factor_mutual_information(mu, logvar, "monte_carlo", rng=seed)
    kl, var = kl_per_dim(mu, logvar), mean_variance(mu)
    pos = evenly_spaced(np.arange(len(idx)), 256)  # the curve's items span the sample (idx is sorted)
    x = torch.from_numpy(dataset.items(idx[pos])).to(model_device(model))
    mu_t = torch.as_tensor(mu[pos], dtype=torch.float32, device=x.device)
    dims = [{"dim": j, "mi_gaussian": float(mi_g[j]), "mi_monte_carlo": float(mi_mc[j]), "kl": float(kl[j]),
             "variance": float(var[j])} for j in range(len(mi_g))]
    return {"n_items": len(idx), "seed": seed, "dims": dims, "order": np.argsort(-mi_g).tolist(),
            "total_mi_gaussian": float(mi_g.sum()), "topk": top_k_table(model, x, mu_t, mi_g)}


def iw_log_likelihood_of(model: LatentModel, x: torch.Tensor, samples: int, generator: torch.Generator) -> np.ndarray:
    """Importance-weighted log p(x) (nats) per item, z_s ~ q(z|x), s = 1..S. x: (B, *shape) -> (B,)."""
    with torch.inference_mode():
        mu, logvar = model.encode(x)  # (B, K)
        eps = torch.randn((samples, *mu.shape), generator=generator, device=mu.device)
        z = mu + torch.exp(0.5 * logvar) * eps  # (S, B, K)
        flat = z.reshape(-1, mu.shape[1])
        log_px = model.log_likelihood(x.repeat(samples, *([1] * (x.dim() - 1))), flat).reshape(samples, -1)
        log_pz = model.log_prior(flat).reshape(samples, -1)
        log_q = log_density_gaussian(z, mu, logvar).sum(-1)  # (S, B)
    return iw_log_likelihood(log_px.cpu().numpy(), log_pz.cpu().numpy(), log_q.cpu().numpy())


def iw_test_log_likelihood(model: LatentModel, dataset: Dataset, indices: np.ndarray, samples: int = 100,
                        seed: int = 0, batch_size: int = 16) -> float:
    """Mean importance-weighted log-likelihood over ``indices`` (SCIENCE.md section 8)."""
    gen = torch.Generator(device=model_device(model)).manual_seed(seed)
    values = [iw_log_likelihood_of(model, torch.from_numpy(dataset.items(indices[i : i + batch_size])).to(
        model_device(model)), samples, gen) for i in range(0, len(indices), batch_size)]
    return float(np.concatenate(values).mean())


def reconstruction(model: LatentModel, dataset: Dataset, indices: np.ndarray) -> dict[str, float]:
    """Mean squared error of decode(mu(x)) and the mean negative log-likelihood -log p(x|mu(x))."""
    mses, nlls, device = [], [], model_device(model)
    with torch.inference_mode():
        for i in range(0, len(indices), 256):
            x = torch.from_numpy(dataset.items(indices[i : i + 256])).to(device)
            mu, _ = model.encode(x)
            mses.append(((model.decode(mu) - x) ** 2).flatten(1).mean(1).cpu().numpy())
            nlls.append((-model.log_likelihood(x, mu)).cpu().numpy())
    return {"mse": float(np.concatenate(mses).mean()), "nll": float(np.concatenate(nlls).mean())}

