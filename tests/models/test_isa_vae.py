"""The ISA-VAE family and its beta-TCVAE variant (issue 21 item 2; ../shared/SCIENCE.md section 5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from models import DataSpec, LpNested, TrainConfig, fit, get_dataset, get_family, load_model, save_model
from models.config import ConfigError
from models.distributions import StandardNormal
from models.evaluation import factor_table
from models.families.beta_tcvae.decomposition import log_qz_and_product
from models.training import split_indices

DIGITS = DataSpec((1, 8, 8), 500, "bernoulli")
SMALL = {"latent_dim": 4, "hidden": [32], "subspace_sizes": [1, 3], "p_inner": [1.5, 2.5]}

pytestmark = pytest.mark.usefixtures("one_thread")


def build(family: str = "isa_vae", data: DataSpec = DIGITS, **fields):
    spec = get_family(family)
    return spec.build(spec.config({**SMALL, **fields}), data)


def bernoulli_batch(n: int = 16) -> torch.Tensor:
    return torch.rand(n, *DIGITS.shape, generator=torch.Generator().manual_seed(0)).round()


@pytest.mark.parametrize("family", ["isa_vae", "isa_beta_tcvae"])
def test_registered_with_the_dsprites_layout_as_defaults(family):
    spec = get_family(family)
    defaults = spec.defaults()
    assert {k: defaults[k] for k in ("latent_dim", "subspace_sizes", "p0", "p_inner", "learn_inner", "scale")} == {
        "latent_dim": 20, "subspace_sizes": [4] * 5, "p0": 2.1, "p_inner": [2.2], "learn_inner": True, "scale": 1.0}
    prior = spec.build(spec.config(), DataSpec((1, 64, 64), 100, "bernoulli")).prior
    assert isinstance(prior, LpNested) and prior.subspace_sizes == (4,) * 5 and prior.p0 == 2.1
    torch.testing.assert_close(prior.p_inner, torch.full((5,), 2.2))


@pytest.mark.parametrize("fields, message", [
    ({"latent_dim": 10}, r"IsaVAEConfig\.latent_dim: latent_dim must equal the sum of subspace_sizes \(20"),
    ({"latent_dim": 5, "subspace_sizes": [2, 0, 3]}, r"\.subspace_sizes: subspace_sizes must be >= 1, got 0"),
    ({"p_inner": [2.0, 2.0]}, r"\.p_inner: .* one per subspace \(5\)"),
    ({"p_inner": [0.0]}, r"\.p_inner: p_inner must be > 0 and <= 10, got 0\.0"),
    ({"p0": -1.0}, r"\.p0: p0 must be > 0"),
    ({"scale": 0.0}, r"\.scale: scale must be > 0"),
    ({"p_inner": 2.2}, r"\.p_inner: expected a list"),
])
def test_bad_configs_say_what_was_expected(fields, message):
    with pytest.raises(ConfigError, match=message):
        get_family("isa_vae").config(fields)


def test_a_few_training_steps_on_digits_learn_the_inner_exponents():
    data = get_dataset("digits")
    cfg = TrainConfig(steps=20, batch_size=32, eval_every=10, log_every=10, checkpoint_every=0, lr=1e-2, threads=1)
    train, val = split_indices(len(data), cfg.val_fraction, cfg.seed)
    model = build(data=DataSpec.from_info(data.info, len(train)))
    before = model.prior.p_inner.detach().clone()
    loop = fit(model, data, train, val, cfg)
    assert all(np.isfinite(h["val_loss"]) for h in loop.history)
    assert bool((model.prior.p_inner[1:] != before[1:]).all())  # the 3-dim subspace's exponent learned


@pytest.mark.parametrize("family", ["isa_vae", "isa_beta_tcvae"])
def test_gradients_reach_the_inner_exponents(family):
    model = build(family)
    model.loss(bernoulli_batch()).total.backward()
    grad = model.prior.p_inner_raw.grad  # a one-dim subspace's exponent cancels out of p(z): its gradient is 0
    assert grad is not None and abs(float(grad[0])) < 1e-5 and abs(float(grad[1])) > 1e-3


def test_fixed_inner_exponents_get_no_optimizer():
    model = build(learn_inner=False)
    assert all(not name.startswith("prior.") for name, _ in model.named_parameters())


def test_kl_is_log_q_minus_log_p_isa_at_the_training_sample():
    model = build(beta=2.5)
    x = bernoulli_batch()
    torch.manual_seed(4)
    out = model.loss(x)
    torch.manual_seed(4)
    posterior = model.encode(x)
    z = posterior.rsample()
    with torch.no_grad():
        kl = posterior.log_prob(z) - model.prior.log_prob(z)
        recon = -model.log_likelihood(x, z)
    torch.testing.assert_close(out.terms["kl"], kl.mean())
    torch.testing.assert_close(out.total.detach(), (recon + 2.5 * kl).mean())


def test_isa_beta_tcvae_dimension_wise_term_is_to_the_isa_prior():
    """dim_kl = E[log prod_j q(z_j) - log p_ISA(z)] (SCIENCE.md section 5), with beta-TCVAE's own estimate."""
    model = build("isa_beta_tcvae")
    posterior = model.encode(bernoulli_batch())
    z = posterior.rsample()
    _, terms = model.regulariser(z, posterior)
    with torch.no_grad():
        _, log_prod = log_qz_and_product(z, *posterior.gaussian, DIGITS.n_items, "mss")
        expected = (log_prod - model.prior.log_prob(z)).mean()
    torch.testing.assert_close(terms["dim_kl"], expected)


def test_gaussian_exponents_give_the_vae_loss_with_the_same_weights_and_sample():
    """All exponents 2 and s = 2 make p_ISA = N(0, I): the loss is the VAE's negative ELBO with the Monte Carlo
    KL at the same sample (the VAE itself uses the closed-form KL, equal in expectation)."""
    vae = get_family("vae").build(get_family("vae").config({"latent_dim": 4, "hidden": [32], "beta": 3.0}), DIGITS)
    isa = build(beta=3.0, p0=2.0, p_inner=[2.0], scale=2.0, subspace_sizes=[4])
    missing, unexpected = isa.load_state_dict(vae.state_dict(), strict=False)
    assert unexpected == [] and set(missing) == {"prior.p_inner_init", "prior.p_inner_raw"}
    x = bernoulli_batch()
    torch.manual_seed(5)
    out = isa.loss(x)
    torch.manual_seed(5)
    posterior = vae.encode(x)
    z = posterior.rsample()
    with torch.no_grad():
        expected = -vae.log_likelihood(x, z) + 3.0 * (posterior.log_prob(z) - StandardNormal(4).log_prob(z))
        torch.testing.assert_close(isa.prior.log_prob(z), StandardNormal(4).log_prob(z))
    torch.testing.assert_close(out.total.detach(), expected.mean())
    torch.manual_seed(5)
    assert out.terms["recon"] == vae.loss(x).terms["recon"]


def test_save_load_keeps_the_learned_exponents(tmp_path: Path):
    model = build().eval()
    with torch.no_grad():
        model.prior.p_inner_raw.copy_(torch.tensor([0.3, -0.2]))
    save_model(model, tmp_path)
    loaded, header = load_model(tmp_path)
    assert header["family"] == "isa_vae"
    torch.testing.assert_close(loaded.prior.p_inner, model.prior.p_inner, rtol=0, atol=0)
    z = model.prior.sample(8, torch.Generator().manual_seed(6))
    torch.testing.assert_close(loaded.prior.log_prob(z), model.prior.log_prob(z), rtol=0, atol=0)


def test_per_dim_kl_uses_the_exact_marginals():
    """Gaussian exponents: each marginal is N(0, 1), so per-dim KL is log q(z_j|x) - log N(z_j; 0, 1)."""
    model = build(p0=2.0, p_inner=[2.0], scale=2.0)
    posterior = model.encode(bernoulli_batch())
    z = posterior.rsample(torch.Generator().manual_seed(7))
    with torch.no_grad():
        per_dim = model.prior.kl_per_dim(posterior, z)
        expected = posterior.marginal_log_prob(z) - StandardNormal(4).marginal_log_prob(z)
    torch.testing.assert_close(per_dim, expected)


def test_factor_table_of_an_isa_model():
    data = get_dataset("digits")
    model = build(data=DataSpec.from_info(data.info, len(data))).eval()
    table = factor_table(model, data, n=64)
    assert len(table["dims"]) == 4 and all(np.isfinite(d["kl"]) for d in table["dims"])
    assert table["topk"][0]["k"] == 0 and len(table["topk"]) == 5
