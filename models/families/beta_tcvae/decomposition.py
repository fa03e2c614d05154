"""Minibatch estimates of log q(z) and log prod_j q(z_j) (Chen et al. 2018, section 4.1 and appendix C).

Both weight the minibatch by the true dataset size N; the code follows the authors' `vae_quant.py`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ...distributions import log_density_gaussian


def stratified_log_weights(batch_size: int, dataset_size: int, device: torch.device) -> Tensor:
    """(B, B) log importance weights of minibatch-stratified sampling (needs B >= 2)."""
    n, m = dataset_size, batch_size - 1
    strat = (n - m) / (n * m)
    w = torch.full((batch_size, batch_size), 1.0 / m, device=device)
    w.view(-1)[:: m + 1] = 1.0 / n
    w.view(-1)[1 :: m + 1] = strat
    w[m - 1, 0] = strat
    return w.log()


def log_qz_and_product(
    z: Tensor, mu: Tensor, logvar: Tensor, dataset_size: int, estimator: str
) -> tuple[Tensor, Tensor]:
    """z, mu, logvar (B, K) -> log q(z_i) (B,), sum_j log q(z_ij) (B,)."""
    b = z.shape[0]
    mat = log_density_gaussian(z[:, None, :], mu[None, :, :], logvar[None, :, :])  # (B, B, K): z_i under q(.|x_n)
    if estimator == "mws":
        shift = math.log(b * dataset_size)
        log_qz = torch.logsumexp(mat.sum(2), dim=1) - shift
        log_prod = (torch.logsumexp(mat, dim=1) - shift).sum(1)
        return log_qz, log_prod
    logw = stratified_log_weights(b, dataset_size, z.device)  # (B, B)
    log_qz = torch.logsumexp(logw + mat.sum(2), dim=1)
    log_prod = torch.logsumexp(logw[:, :, None] + mat, dim=1).sum(1)
    return log_qz, log_prod
