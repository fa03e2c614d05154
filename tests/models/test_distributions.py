"""Posterior and prior objects against closed forms, scipy and torch.distributions; the capability Protocols."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm
from torch import Tensor

from models import DataSpec, get_dataset, get_family
from models.distributions import (
    DiagonalGaussian,
    FactorisedPrior,
    NotFactorisedError,
    NotGaussianError,
    Posterior,
    Prior,
    StandardNormal,
    gaussian_params,
)
from models.evaluation import encode_dataset, encode_means, factor_table
from models.families.vae import VAE
from models.protocols import Grouped, HasParent, HasPrior
from models.registry import families

MU = torch.tensor([[0.0, 1.0, -2.0], [0.5, 0.0, 3.0]])
LOGVAR = torch.tensor([[0.0, math.log(2.0), -1.0], [1.5, -3.0, 0.2]])


def test_diagonal_gaussian_is_torchs_normal() -> None:
    q = DiagonalGaussian(MU, LOGVAR)
    exact = torch.distributions.Normal(MU, (0.5 * LOGVAR).exp())
    z = torch.randn(5, 2, 3)  # (S, B, K): log_prob broadcasts over sample dims
    torch.testing.assert_close(q.log_prob(z), exact.log_prob(z).sum(-1))
    torch.testing.assert_close(q.marginal_log_prob(z), exact.log_prob(z))
    assert q.mean is MU and q.gaussian == (MU, LOGVAR)
    draws = q.rsample(torch.Generator().manual_seed(0), (100_000,))
    assert q.rsample().shape == (2, 3) and draws.shape == (100_000, 2, 3)
    torch.testing.assert_close(draws.mean(0), MU, atol=0.03, rtol=0)
    torch.testing.assert_close(draws.std(0), exact.stddev, atol=0, rtol=0.01)
    with pytest.raises(ValueError, match="expected equal shapes"):
        DiagonalGaussian(MU, LOGVAR[:, :2])


def test_standard_normal_kl_is_the_old_closed_form() -> None:
    """KL(N(mu, s^2) || N(0, 1)) = 0.5 (mu^2 + s^2 - 1 - log s^2) (Kingma & Welling 2014, appendix B)."""
    prior, q = StandardNormal(3), DiagonalGaussian(MU, LOGVAR)
    per_dim = 0.5 * (MU**2 + LOGVAR.exp() - 1.0 - LOGVAR)
    torch.testing.assert_close(prior.kl_per_dim(q), per_dim)
    torch.testing.assert_close(prior.kl(q), per_dim.sum(1))
    assert prior.kl(DiagonalGaussian(torch.zeros(1, 3), torch.zeros(1, 3))).item() == 0.0
    assert prior.kl_per_dim(DiagonalGaussian(torch.ones(1, 1), torch.zeros(1, 1))).item() == pytest.approx(0.5)


def test_the_monte_carlo_kl_converges_to_the_exact_one() -> None:
    prior, q = StandardNormal(3), DiagonalGaussian(MU, LOGVAR)
    z = q.rsample(torch.Generator().manual_seed(1), (200_000,))  # (S, B, K)
    mc_total = Prior.kl(prior, q, z).mean(0)  # the base class's estimator, log q(z|x) - log p(z)
    mc_per_dim = FactorisedPrior.kl_per_dim(prior, q, z).mean(0)
    torch.testing.assert_close(mc_total, prior.kl(q), atol=0.03, rtol=0)
    torch.testing.assert_close(mc_per_dim, prior.kl_per_dim(q), atol=0.02, rtol=0)


def test_standard_normal_quantiles_sd_and_samples() -> None:
    prior, probs = StandardNormal(4), torch.tensor([0.001, 0.16, 0.5, 0.975], dtype=torch.float64)
    expected = np.repeat(norm.ppf(probs.numpy())[:, None], 4, axis=1)
    np.testing.assert_allclose(prior.marginal_quantiles(probs).numpy(), expected, rtol=1e-12)
    empirical = Prior.marginal_quantiles(prior, probs[1:]).numpy()  # the base class's, from 32768 seeded draws
    np.testing.assert_allclose(empirical, expected[1:], atol=0.03)
    assert torch.equal(prior.marginal_std(), torch.ones(4))
    torch.testing.assert_close(Prior.marginal_std(prior), torch.ones(4, dtype=torch.float64), atol=0.02, rtol=0)
    draws = prior.sample(5, torch.Generator().manual_seed(3))
    assert torch.equal(draws, torch.randn(5, 4, generator=torch.Generator().manual_seed(3)))
    torch.testing.assert_close(prior.log_prob(draws), torch.distributions.Normal(0.0, 1.0).log_prob(draws).sum(-1))
    with pytest.raises(ValueError, match=r"expected a 1-D tensor of values in \(0, 1\)"):
        prior.marginal_quantiles(torch.tensor([0.5, 1.0]))


def test_a_standard_normal_prior_adds_nothing_to_the_weights() -> None:
    spec = get_family("vae")
    model = spec.build(spec.config({"latent_dim": 2, "hidden": [8]}), DataSpec((4,), 10, "gaussian"))
    assert isinstance(model.prior, StandardNormal) and not any(k.startswith("prior.") for k in model.state_dict())
    assert model.double().prior.sample(2).dtype == torch.float64  # follows the model's dtype (and device)


class Uniform(Posterior):
    """q(z|x) = U(lo, lo + 1) per dim, not Gaussian nor declared factorised."""

    def __init__(self, lo: Tensor) -> None:
        self.lo = lo

    @property
    def mean(self) -> Tensor:
        return self.lo + 0.5

    def rsample(self, generator: torch.Generator | None = None, sample_shape: tuple[int, ...] = ()) -> Tensor:
        return self.lo + torch.rand((*sample_shape, *self.lo.shape), generator=generator)

    def log_prob(self, z: Tensor) -> Tensor:
        inside = ((z >= self.lo) & (z <= self.lo + 1)).all(-1)
        return torch.where(inside, 0.0, -math.inf)


def test_gaussian_parameters_are_refused_for_other_posteriors() -> None:
    q = Uniform(torch.zeros(2, 3))
    with pytest.raises(NotGaussianError, match=r"^the MI needs a Gaussian encoder; use X \(this model's posterior "
                                               r"is a Uniform\)$"):
        gaussian_params(q, "the MI", "use X")
    with pytest.raises(NotFactorisedError, match="factorised posterior"):
        StandardNormal(3).kl_per_dim(q)
    # KL(U(0, 1) || N(0, 1)) = E[z^2] / 2 + log sqrt(2 pi) = 1/6 + 0.919, by Monte Carlo
    kl = StandardNormal(3).kl(q, q.rsample(torch.Generator().manual_seed(0), (50_000,))).mean(0)
    torch.testing.assert_close(kl, torch.full((2,), 3 * (1 / 6 + 0.5 * math.log(2 * math.pi))), atol=0.01, rtol=0)


class UniformVAE(VAE):
    """The VAE's network with its first head read as the corner of a uniform posterior."""

    def encode(self, x: Tensor) -> Posterior:
        return Uniform(self.encoder(x)[0])


def test_the_evaluation_refuses_the_gaussian_mi_for_a_non_gaussian_encoder() -> None:
    spec, data = get_family("vae"), get_dataset("digits")
    model = UniformVAE(spec.config({"latent_dim": 3, "hidden": [8]}), DataSpec.from_info(data.info, len(data)))
    idx = np.arange(20)
    assert encode_means(model, data, idx).shape == (20, 3)  # the metrics' codes need only the mean
    with pytest.raises(NotGaussianError, match=r"the per-dim MI .* needs a Gaussian encoder"):
        encode_dataset(model, data, idx)
    with pytest.raises(NotGaussianError):
        factor_table(model, data, n=20)


@pytest.mark.parametrize("family", ["vae", "beta_tcvae", "oi_vae"])
def test_each_family_declares_its_protocols(family: str) -> None:
    cls = families()[family].model_cls
    assert issubclass(cls, HasPrior) and not issubclass(cls, HasParent)
    assert issubclass(cls, Grouped) == (family == "oi_vae")
    spec = get_family(family)
    model = spec.build(spec.config({"latent_dim": 2, "hidden": [8]}), DataSpec((6,), 10, "gaussian"))
    assert isinstance(model, HasPrior) and isinstance(model, Grouped) == (family == "oi_vae")


def test_a_class_missing_a_method_is_not_grouped() -> None:
    class HalfGrouped:
        def latent_to_group(self) -> Tensor:
            return torch.zeros(1, 1)

    assert not issubclass(HalfGrouped, Grouped) and not isinstance(HalfGrouped(), Grouped)
