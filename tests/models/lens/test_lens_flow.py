"""Known answers for the planar flow: the invertibility constraint for any raw parameters, and the log-determinant
against autograd's Jacobian (float64)."""

from __future__ import annotations

import pytest
import torch

from models.lens import MIN_W_NORM, constrained_u, effective_w, planar_flow


def raw_parameters(b: int, t: int, k: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(u, w, b) with scales from 1e-9 to 1e3 and half of the pairs adversarial: u = -c w, w^T u << -1."""
    g = torch.Generator().manual_seed(seed)
    scale = 10.0 ** torch.randint(-9, 4, (b, t, 1), generator=g).double()
    w = torch.randn(b, t, k, generator=g, dtype=torch.float64) * scale
    u = torch.randn(b, t, k, generator=g, dtype=torch.float64) * 10.0 ** torch.randint(-2, 4, (b, t, 1), generator=g)
    adversarial = torch.rand(b, t, 1, generator=g) < 0.5
    u = torch.where(adversarial, -torch.rand(b, t, 1, generator=g, dtype=torch.float64) * 1e4 * w / scale**2, u)
    bias = torch.randn(b, t, generator=g, dtype=torch.float64) * 3
    return u, w, bias


def test_constraint_holds_for_any_raw_parameters() -> None:
    u, w, _ = raw_parameters(400, 3, 5, seed=1)
    w[:7] = 0.0  # w = 0 exactly
    w_eff = effective_w(w)
    wu = (w * u).sum(-1)
    assert (wu < -100).sum() > 100  # the adversarial cases are there
    wu_hat = (w_eff * constrained_u(u, w_eff)).sum(-1)
    tolerance = 1e-12 * (1 + (w_eff * u).sum(-1).abs())  # rounding of wu + (m - wu)
    assert torch.all(wu_hat >= -1 - tolerance)
    assert torch.all(torch.isfinite(wu_hat))


def test_effective_w_changes_only_short_w() -> None:
    w = torch.tensor([[3.0, 4.0], [1e-6, 0.0], [0.0, 0.0], [MIN_W_NORM, 0.0]], dtype=torch.float64, requires_grad=True)
    w_eff = effective_w(w)
    assert torch.equal(w_eff[0], w[0]) and torch.equal(w_eff[3], w[3])
    assert torch.allclose(w_eff[1], torch.tensor([MIN_W_NORM, 0.0], dtype=torch.float64))
    assert torch.allclose(w_eff[2], torch.tensor([MIN_W_NORM, 0.0], dtype=torch.float64))
    w_eff.sum().backward()
    assert torch.all(torch.isfinite(w.grad))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_outputs_finite_for_adversarial_parameters(dtype: torch.dtype) -> None:
    u, w, b = (p.to(dtype) for p in raw_parameters(300, 4, 3, seed=2))
    w[:5] = 0.0
    z0 = torch.randn(300, 3, dtype=dtype)
    z, log_det = planar_flow(z0, u, w, b)
    assert z.shape == (300, 3) and log_det.shape == (300,)
    assert torch.all(torch.isfinite(z)) and torch.all(torch.isfinite(log_det))


def test_log_det_equals_autograd_jacobian() -> None:
    g = torch.Generator().manual_seed(3)
    n, t, k = 12, 5, 4
    u = torch.randn(n, t, k, generator=g, dtype=torch.float64) * 2
    w = torch.randn(n, t, k, generator=g, dtype=torch.float64) * 2
    u[:4] = -3.0 * w[:4]  # w^T u << -1: the constraint changes u
    b = torch.randn(n, t, generator=g, dtype=torch.float64)
    z0 = torch.randn(n, k, generator=g, dtype=torch.float64)
    _, log_det = planar_flow(z0, u, w, b)
    for i in range(n):
        def one(x: torch.Tensor, i: int = i) -> torch.Tensor:
            return planar_flow(x.unsqueeze(0), u[i : i + 1], w[i : i + 1], b[i : i + 1])[0].squeeze(0)

        jac = torch.autograd.functional.jacobian(one, z0[i])  # (k, k)
        sign, logabs = torch.linalg.slogdet(jac)
        assert sign > 0  # invertible, orientation kept
        assert torch.allclose(log_det[i], logabs, atol=1e-10, rtol=1e-10)


def test_empty_flow_is_the_identity() -> None:
    z0 = torch.randn(3, 2)
    z, log_det = planar_flow(z0, torch.zeros(3, 0, 2), torch.zeros(3, 0, 2), torch.zeros(3, 0))
    assert torch.equal(z, z0) and torch.equal(log_det, torch.zeros(3))
