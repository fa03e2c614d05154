"""Minibatch estimates of log q(z) and log prod_j q(z_j) (Chen et al. 2018, section 4.1 and appendix C).

Both weight the minibatch by the true dataset size N; the code follows the authors' `vae_quant.py`, with
the fix of its stratified weights (see ``stratified_log_weights``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ...distributions import log_density_gaussian


def stratified_log_weights(batch_size: int, dataset_size: int, device: torch.device) -> Tensor:
    """(B, B) log importance weights of minibatch-stratified sampling (needs B >= 2): row i weighs the batch
    for z_i ~ q(z|x_i). Its own item x_i gets 1/N, the next item (cyclically) the stratum weight
    (N - M) / (N M), the other B - 2 items 1/M, with M = B - 1; each row sums to 1 (Chen et al. 2018,
    appendix C). The authors' code strides by B, not B + 1, and so puts 1/N in column 0 instead of on the
    diagonal (rtqichen/beta-tcvae pull request 1): log q(z) then reads about log(N / M) too high."""
    n, m = dataset_size, batch_size - 1
    rows = torch.arange(batch_size, device=device)
    w = torch.full((batch_size, batch_size), 1.0 / m, device=device)
    w[rows, (rows + 1) % batch_size] = (n - m) / (n * m)
    w[rows, rows] = 1.0 / n
    return w.log()


def log_qz_and_product(
    z: Tensor, mu: Tensor, logvar: Tensor, dataset_size: int, estimator: str
) -> tuple[Tensor, Tensor]:
    """z, mu, logvar (B, K) -> log q(z_i) (B,), sum_j log q(z_ij) (B,), as the loss uses them: for mws the
    authors' values, which read low by constants (``mws_offsets``); for mss the estimates themselves."""
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


def mws_offsets(latent_dim: int, dataset_size: int) -> tuple[float, float]:
    """(log N, K log N): how far the authors' minibatch-weighted values of log q(z) and sum_j log q(z_j) read below
    the estimates. The minibatch's mean (1/M) sum_j q(z | x_j) already estimates q(z) = (1/N) sum_n q(z | n);
    Chen et al.'s Eq. S5 (and vae_quant.py) divide by N M, so once more by N, and each of the K marginals too.
    Constants: the loss's gradient is the same either way, but the logged mi reads log N high, tc (K - 1) log N
    high and dim_kl K log N low; adding these back makes a logged tc a total correlation."""
    log_n = math.log(dataset_size)
    return log_n, latent_dim * log_n
