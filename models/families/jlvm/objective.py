"""The two terms the JLVM adds to the VAE's ELBO (seed 001, Eq. 13; SCIENCE.md section 6).

Per batch of B items, z ~ q(z|x) (B, K) the reparameterised sample the reconstruction also uses:
    objective = mean_i ELBO_i  -  compression * mean_i KL(q(z|x_i) || q_agg)  +  side_weight * side
    side      = sum_j mean_{i labelled for j} log p(s_ij | z_i)      (0 for an attribute no batch item has)
the last term being the Monte-Carlo estimate of the seed's int p(s) int p(z|s) log q(s|z) on the labelled pairs.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor


def aggregate_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu_i, diag exp(logvar_i)) || q_agg) per item, (B, K) each -> (B,) nats.

    q_agg = N(m, diag v), the Gaussian with the moments of the batch's aggregate posterior (1/B) sum_i q(z|x_i):
    m = mean_i mu_i, v = mean_i exp(logvar_i) + var_i(mu_i). Among diagonal Gaussians it minimises the batch mean
    of the KL, so it is the tightest Gaussian q(z) in the seed's bound I(z; x) <= E_x KL(q(z|x) || q(z)) (Appendix
    Eq. 9); and, being that minimiser, the gradient of the batch mean is the same whether or not it flows through
    (m, v). Identical posteriors give 0."""
    var = logvar.exp()
    m = mu.mean(0)
    v = var.mean(0) + mu.var(0, unbiased=False)  # (K,) > 0
    return 0.5 * (v.log() - logvar + (var + (mu - m) ** 2) / v - 1.0).sum(-1)


def side_log_likelihood(log_probs: Mapping[str, Tensor], mask: Mapping[str, Tensor]) -> Tensor:
    """sum_j of the mean of log p(s_j | z) (B,) over the items labelled for attribute j (mask (B,) bool): a
    scalar, 0 for an attribute without labelled items. Unlabelled items contribute exact zeros, to the value and
    to every gradient."""
    total = next(iter(log_probs.values())).new_zeros(())
    for name, log_p in log_probs.items():
        known = mask[name]
        total = total + torch.where(known, log_p, 0.0).sum() / known.sum().clamp(min=1)
    return total
