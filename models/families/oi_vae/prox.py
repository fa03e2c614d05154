"""The proximal operator of the group lasso (seed 000, Eq. 10; Parikh & Boyd 2013, Sec. 6.5.4)."""

from __future__ import annotations

import torch
from torch import Tensor


def group_soft_threshold(w: Tensor, threshold: float) -> Tensor:
    """prox of ``threshold * sum_j ||w[:, j]||_2``, column by column.

    w: (..., p, K); each column w[..., :, j] becomes w_j / ||w_j|| * max(0, ||w_j|| - threshold):
    its norm drops by exactly ``threshold`` (direction kept), or it becomes exactly zero. With
    threshold = 0 the scale is ||w_j|| / ||w_j|| = 1 exactly, so w comes back unchanged.
    """
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    norms = torch.linalg.vector_norm(w, dim=-2, keepdim=True)  # (..., 1, K)
    scale = (norms - threshold).clamp(min=0.0) / norms.clamp(min=torch.finfo(w.dtype).tiny)
    return w * scale
