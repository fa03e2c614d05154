"""Planar normalizing flow with per-item parameters (Rezende & Mohamed 2015; SCIENCE.md section 6).

z_t = z_{t-1} + u_hat_t tanh(w_t^T z_{t-1} + b_t),  log|det J_t| = log|1 + u_hat_t^T h'(w_t^T z_{t-1} + b_t) w_t|,
with the invertibility constraint u_hat = u + (m(w^T u) - w^T u) w / ||w||^2, m(a) = -1 + softplus(a), so that
w^T u_hat = m(w^T u) > -1 for any raw (u, w): the map is invertible and det J_t > 0.

Numerical safety: a w shorter than MIN_W_NORM is lengthened to MIN_W_NORM along its own direction (e_1 for
w = 0) before use, in the constraint and in the map alike, so ||w||^2 never divides by (almost) zero and the
constraint holds exactly for the w that the map uses. A determinant that rounds to 0 (w^T u_hat -> -1 where
h' = 1) is clamped to the dtype's smallest normal number before the log, so the log-det stays finite.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

MIN_W_NORM = 1e-4


def effective_w(w: Tensor) -> Tensor:
    """Raw w (..., k) -> the w the flow uses (..., k): w itself where ||w|| >= MIN_W_NORM, else w scaled up to
    that length (e_1 * MIN_W_NORM for w = 0)."""
    norm = torch.linalg.vector_norm(w, dim=-1, keepdim=True)  # (..., 1)
    e1 = torch.zeros_like(w)
    e1[..., 0] = 1.0
    direction = torch.where(norm > 0, w / norm.clamp_min(torch.finfo(w.dtype).tiny), e1)
    return torch.where(norm >= MIN_W_NORM, w, direction * MIN_W_NORM)


def constrained_u(u: Tensor, w: Tensor) -> Tensor:
    """u_hat (..., k) = u + (m(w^T u) - w^T u) w / ||w||^2 for u, w (..., k), ||w|| >= MIN_W_NORM."""
    wu = (w * u).sum(-1, keepdim=True)  # (..., 1)
    m = -1.0 + F.softplus(wu)
    return u + (m - wu) * w / (w * w).sum(-1, keepdim=True)


def planar_flow(z0: Tensor, u: Tensor, w: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Push z0 (B, k) through T planar maps with raw parameters u, w (B, T, k) and b (B, T).

    Returns (z_T (B, k), sum_t log|det J_t| (B,)).
    """
    w = effective_w(w)
    u_hat = constrained_u(u, w)
    wu_hat = (w * u_hat).sum(-1)  # (B, T), each > -1
    tiny = torch.finfo(z0.dtype).tiny
    z, log_det = z0, z0.new_zeros(z0.shape[0])
    for t in range(u.shape[1]):
        h = torch.tanh((w[:, t] * z).sum(-1) + b[:, t])  # (B,)
        log_det = log_det + torch.log((1.0 + (1.0 - h * h) * wu_hat[:, t]).abs().clamp_min(tiny))
        z = z + u_hat[:, t] * h.unsqueeze(-1)
    return z, log_det
