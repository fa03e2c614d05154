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
from .distributions import DiagonalGaussian, Posterior, gaussian_params
from .estimators import factor_mutual_information, iw_log_likelihood, mean_variance


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


MI_NEEDS = "the per-dim MI (the closed form, and the Monte Carlo estimator's mixture of Gaussians for q(z))"
MI_INSTEAD = "a non-Gaussian posterior needs an estimator over its own densities"


def _encode(model: LatentModel, dataset: Dataset, indices: np.ndarray, take: Callable[[Posterior], tuple],
            batch_size: int, on_batch: Callable[[float], None] | None) -> tuple[np.ndarray, ...]:
    """(N,) indices -> ``take(q(z|x))``'s tensors as float64 (N, K) each, encoded in batches on the model's
    device."""
    device, parts = model_device(model), []
    with torch.inference_mode():
        for start in range(0, len(indices), batch_size):
            x = torch.from_numpy(dataset.items(indices[start : start + batch_size])).to(device)
            parts.append([t.double().cpu().numpy() for t in take(model.encode(x))])
            if on_batch:
                on_batch(min(1.0, (start + batch_size) / len(indices)))
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def encode_dataset(model: LatentModel, dataset: Dataset, indices: np.ndarray, batch_size: int = 512,
                   on_batch: Callable[[float], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(N,) indices -> the Gaussian posteriors' mu, logvar as float64 (N, K); NotGaussianError for a model whose
    posterior is not a diagonal Gaussian (the MI estimators need its parameters)."""
    mu, logvar = _encode(model, dataset, indices, lambda q: gaussian_params(q, MI_NEEDS, MI_INSTEAD), batch_size,
                         on_batch)
    return mu, logvar


def encode_means(model: LatentModel, dataset: Dataset, indices: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """(N,) indices -> the posterior means E[z|x] as float64 (N, K), for any posterior (the metrics' codes)."""
    (mean,) = _encode(model, dataset, indices, lambda q: (q.mean,), batch_size, None)
    return mean


def sample_indices(dataset: Dataset, n: int, rng: np.random.Generator) -> np.ndarray:
    """n items uniformly from the factor grid when there is one (with replacement, as dlib), else a
    random subset of the items (without replacement when n <= N)."""
    if dataset.grid is not None:
        return dataset.grid.to_index(dataset.grid.sample(n, rng))
    return rng.choice(len(dataset), size=n, replace=n > len(dataset))


def prior_median(model: LatentModel) -> torch.Tensor:
    """(K,): the median of each marginal p(z_j) of the model's prior."""
    return model.prior.marginal_quantiles(torch.tensor([0.5], device=model_device(model)))[0]


def top_k_table(model: LatentModel, x: torch.Tensor, mu: torch.Tensor, mi: np.ndarray) -> list[dict[str, float]]:
    """Seed 002, Table 2: keep the k most informative dims of mu, set the rest to the prior's marginal median
    (0 for a symmetric prior), decode; MSE against x and the total kept MI for k = 0..K. x: (B, *shape),
    mu: (B, K)."""
    order, rows, total = np.argsort(-mi), [], float(mi.sum())
    with torch.inference_mode():
        dropped = prior_median(model).to(mu).expand_as(mu)  # (B, K)
        for k in range(len(mi) + 1):
            z = dropped.clone()
            keep = torch.as_tensor(order[:k].copy(), device=mu.device, dtype=torch.long)
            z[:, keep] = mu[:, keep]
            mse = float(((model.decode(z) - x) ** 2).flatten(1).mean(1).mean())
            kept = float(mi[order[:k]].sum())
            rows.append({"k": k, "mse": mse, "kept_mi": kept, "kept_fraction": kept / total if total > 0 else 0.0})
    return rows


def kl_per_dim(model: LatentModel, mu: np.ndarray, logvar: np.ndarray, seed: int) -> np.ndarray:
    """E_x KL(q(z_j|x) || p(z_j)) per dim (K,) under the model's prior: exact where the prior knows it, else one
    seeded posterior draw per item (averaged over the N items). mu, logvar: (N, K) float64."""
    device = model_device(model)
    posterior = DiagonalGaussian(torch.from_numpy(mu).to(device), torch.from_numpy(logvar).to(device))
    z = posterior.rsample(torch.Generator(device=device).manual_seed(seed))  # (N, K) float64
    with torch.inference_mode():
        return model.prior.kl_per_dim(posterior, z).mean(0).cpu().numpy()


def factor_table(model: LatentModel, dataset: Dataset, n: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Per latent dim: MI (both estimators), KL to the prior, Var[mu]; the MI order; the top-k table."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(dataset), size=min(n, len(dataset)), replace=False))
    mu, logvar = encode_dataset(model, dataset, idx)
    mi_g = factor_mutual_information(mu, logvar, "gaussian")
    mi_mc = factor_mutual_information(mu, logvar, "monte_carlo", rng=seed)
    kl, var = kl_per_dim(model, mu, logvar, seed), mean_variance(mu)
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
        posterior = model.encode(x)  # B posteriors over K latents
        z = posterior.rsample(generator, (samples,))  # (S, B, K)
        flat = z.reshape(-1, z.shape[-1])
        log_px = model.log_likelihood(x.repeat(samples, *([1] * (x.dim() - 1))), flat).reshape(samples, -1)
        log_pz = model.prior.log_prob(z)  # (S, B)
        log_q = posterior.log_prob(z)  # (S, B)
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
            mu = model.encode(x).mean
            mses.append(((model.decode(mu) - x) ** 2).flatten(1).mean(1).cpu().numpy())
            nlls.append((-model.log_likelihood(x, mu)).cpu().numpy())
    return {"mse": float(np.concatenate(mses).mean()), "nll": float(np.concatenate(nlls).mean())}

