"""ONE contract, parametrized over the family registry: a new family is tested automatically."""

from __future__ import annotations

import copy
import dataclasses
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from models import DataSpec, get_family
from models.checkpoint import load_model, save_model
from models.datasets import Group
from models.distributions import DiagonalGaussian, Prior, kl_to_standard_normal
from models.nn import Likelihood, NetConfig, resolve_architecture
from models.protocols import Grouped, HasParent, HasPrior
from models.registry import families

DATA = {
    "mlp-8x8-bernoulli": DataSpec((1, 8, 8), 500, "bernoulli"),
    "conv-28-bernoulli": DataSpec((1, 28, 28), 500, "bernoulli"),
    "conv-64-bernoulli": DataSpec((1, 64, 64), 500, "bernoulli"),
    "grouped-30-gaussian": DataSpec((30,), 500, "gaussian", tuple(Group(f"g{i}", 3 * i, 3 * i + 3) for i in range(10))),
}
# a family built on another run (the lens) cannot be built alone: tests/backend/test_api_lenses.py builds it on one
STANDALONE = [f for f, spec in families().items() if not issubclass(spec.model_cls, HasParent)]
CASES = [(f, d) for f in STANDALONE for d in DATA]


def _model(family: str, data: str):
    """A small model of ``family`` for ``data``: hidden width 32, the family's default latent dim K (a family may
    constrain K, e.g. to the sum of its subspace sizes)."""
    spec = get_family(family)
    return spec.build(spec.config({"hidden": [32]}), DATA[data])


def _batch(data: DataSpec, n: int = 6) -> torch.Tensor:
    x = torch.rand(n, *data.shape)
    return x.round() if data.likelihood == "bernoulli" else x


@pytest.mark.parametrize(("family", "data"), CASES)
def test_shapes_loss_and_backward(family: str, data: str) -> None:
    model, spec = _model(family, data), DATA[data]
    x = _batch(spec)
    posterior = model.encode(x)
    mu, logvar = posterior.gaussian
    k = model.latent_dim
    assert mu.shape == logvar.shape == posterior.rsample().shape == (6, k) and posterior.log_prob(mu).shape == (6,)
    assert model.decode(mu).shape == x.shape
    assert model.log_likelihood(x, mu).shape == (6,)
    out = model.loss(x)
    assert out.total.ndim == 0 and torch.isfinite(out.total)
    out.total.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    assert model.family == family



def test_conv_nets_rectify_in_place_with_the_same_loss_and_gradients() -> None:
    # in-place ReLUs spare an activation tensor per layer; backward must still see the values it needs
    model = _model("vae", "conv-64-bernoulli")
    relus = [m for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    assert len(relus) == 10 and all(m.inplace for m in relus)  # 4 + 1 in the encoder, 2 + 3 in the decoder
    copied = copy.deepcopy(model)
    for m in copied.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    x = _batch(DATA["conv-64-bernoulli"])
    losses = []
    for net in (model, copied):
        torch.manual_seed(0)  # the same reparameterisation noise
        losses.append(net.loss(x).total)
        losses[-1].backward()
    assert torch.equal(losses[0], losses[1])
    for a, b in zip(model.parameters(), copied.parameters(), strict=True):
        assert torch.equal(a.grad, b.grad)

@pytest.mark.parametrize(("family", "data"), CASES)
def test_save_load_round_trip_is_bit_identical(family: str, data: str, tmp_path: Path) -> None:
    model = _model(family, data).eval()
    z = torch.randn(5, model.latent_dim)
    x = _batch(DATA[data], 5)
    save_model(model, tmp_path)
    loaded, header = load_model(tmp_path)
    assert header["family"] == family
    with torch.inference_mode():
        assert torch.equal(model.decode(z), loaded.decode(z))
        for a, b in zip(model.encode(x).gaussian, loaded.encode(x).gaussian, strict=True):
            assert torch.equal(a, b)


@pytest.mark.parametrize("family", STANDALONE)
def test_family_declares_config_and_capabilities(family: str) -> None:
    spec = get_family(family)
    defaults = spec.defaults()
    assert set(defaults) == {f.name for f in dataclasses.fields(spec.config_cls)}  # every field, with its default
    assert spec.config(defaults) == spec.config_cls()
    assert issubclass(spec.model_cls, HasPrior) and not issubclass(spec.model_cls, HasParent)
    assert issubclass(spec.model_cls, Grouped) == (family == "oi_vae")
    model = _model(family, "grouped-30-gaussian")
    assert isinstance(model, HasPrior) and isinstance(model.prior, Prior) and model.prior.latent_dim == model.latent_dim
    assert isinstance(model, Grouped) == (family == "oi_vae")
    assert spec.summary


# ------------------------------------------------------------------ beta-VAE loss value (SCIENCE.md section 3)


def test_vae_loss_is_the_beta_weighted_negative_elbo() -> None:
    """SCIENCE.md section 3 (beta-VAE, Higgins et al. 2017): loss = mean over the batch of
    [-log Bern(x | logits(z)) summed over pixels + beta * KL], KL = 0.5 * sum_k (mu^2 + exp(lv) - 1 - lv)
    (Kingma & Welling 2014, appendix B), z = mu + exp(lv / 2) * eps with the same eps (same seed)."""
    spec, data = get_family("vae"), DATA["mlp-8x8-bernoulli"]
    model = spec.build(spec.config({"latent_dim": 4, "hidden": [32], "beta": 4.0}), data)
    x = _batch(data, 16)
    torch.manual_seed(3)
    out = model.loss(x)
    torch.manual_seed(3)
    eps = torch.randn(16, 4)  # rsample draws the same eps from the global generator
    with torch.no_grad():
        mu, lv = model.encoder(x)
        logits = model.decoder(mu + torch.exp(0.5 * lv) * eps)
        recon = -(x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).flatten(1).sum(1)
        kl = 0.5 * (mu**2 + lv.exp() - 1 - lv).sum(1)
    expected = {"loss": (recon + 4.0 * kl).mean(), "recon": recon.mean(), "kl": kl.mean()}
    assert out.total.item() == pytest.approx(expected["loss"].item(), rel=1e-5)
    for name, value in expected.items():
        assert out.terms[name].item() == pytest.approx(value.item(), rel=1e-5), name


def test_gaussian_helpers_match_hand_derived_values() -> None:
    # KL(N(1, 1) || N(0, 1)) = 0.5 * (1 + 1 - 1 - 0) = 0.5
    assert kl_to_standard_normal(torch.ones(1, 1), torch.zeros(1, 1)).item() == pytest.approx(0.5)
    # z = mu + exp(logvar / 2) * eps: logvar = log 4 gives sd 2
    z = DiagonalGaussian(torch.zeros(10_000, 1), torch.full((10_000, 1), math.log(4.0))).rsample()
    assert z.std().item() == pytest.approx(2.0, rel=0.03)
    # log N(x; x, 1) = -0.5 * log(2 pi) per feature (log_scale starts at 0), summed over 3 features
    lik, x = Likelihood("gaussian", (3,)), torch.randn(2, 3)
    assert torch.allclose(lik.log_prob(x, x), torch.full((2,), -1.5 * math.log(2 * math.pi)))


# ------------------------------------------------------------------------------------------- builders


def test_auto_architecture_is_conv_from_side_28() -> None:
    # NetConfig.architecture "auto": conv for square images of side >= 28, else the MLP
    auto = NetConfig()
    assert resolve_architecture(auto, DataSpec((1, 28, 28), 10, "bernoulli")) == "conv"
    assert resolve_architecture(auto, DataSpec((1, 64, 64), 10, "bernoulli")) == "conv"
    assert resolve_architecture(auto, DataSpec((1, 26, 26), 10, "bernoulli")) == "mlp"
    assert resolve_architecture(auto, DataSpec((1, 8, 8), 10, "bernoulli")) == "mlp"


def test_conv_decoder_logits_are_not_rectified() -> None:
    # Bernoulli logits: a ReLU after the last transposed conv would make every p(x = 1) >= 0.5
    model = _model("vae", "conv-28-bernoulli")
    with torch.no_grad():
        logits = model.decoder(torch.randn(8, model.latent_dim))
    assert (logits < 0).any() and (logits > 0).any()
