"""group_soft_threshold: the group-lasso proximal operator, column by column (seed 000, Eq. 10)."""

from __future__ import annotations

import pytest
import torch

from models.families.oi_vae import group_soft_threshold


def _columns(norms: list[float], p: int = 3, seed: int = 0) -> torch.Tensor:
    """(p, K) with column j of norm ``norms[j]`` and a random direction."""
    w = torch.randn(p, len(norms), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return w / w.norm(dim=0) * torch.tensor(norms, dtype=torch.float64)


def test_columns_below_the_threshold_become_exactly_zero() -> None:
    w = _columns([0.1, 0.5, 0.499, 2.0])
    out = group_soft_threshold(w, 0.5)
    for j in range(3):
        assert torch.equal(out[:, j], torch.zeros(3, dtype=torch.float64))  # machine zeros, not small
    assert out[:, 3].norm() > 0


def test_columns_above_the_threshold_shrink_by_exactly_the_threshold() -> None:
    w = _columns([0.7, 1.0, 3.25])
    out = group_soft_threshold(w, 0.25)
    torch.testing.assert_close(out.norm(dim=0), w.norm(dim=0) - 0.25, rtol=0, atol=1e-12)
    torch.testing.assert_close(out / out.norm(dim=0), w / w.norm(dim=0), rtol=0, atol=1e-12)  # same direction


def test_threshold_zero_leaves_the_weights_unchanged() -> None:
    w = torch.randn(4, 8, generator=torch.Generator().manual_seed(1))
    w[:, 2] = 0.0
    assert torch.equal(group_soft_threshold(w, 0.0), w)


def test_batched_groups_and_p_equal_one() -> None:
    w = torch.tensor([[[0.3, -2.0]], [[-1.5, 0.05]]])  # (G=2, p=1, K=2)
    out = group_soft_threshold(w, 0.5)
    assert torch.equal(out, torch.tensor([[[0.0, -1.5]], [[-1.0, 0.0]]]))  # soft-thresholding of scalars


def test_negative_threshold_is_rejected() -> None:
    with pytest.raises(ValueError, match="threshold"):
        group_soft_threshold(torch.ones(2, 2), -0.1)
