"""A VAE over a parent run's representation: h = E_q[z_parent | x] (B, K_p) is the data this model encodes
(q(z|h) = N(mu, diag sigma^2), z (B, K)) and reconstructs (p(h|z) Gaussian); decode(z) (B, *shape) =
parent.decode(mean of p(h|z)). The parent sits outside the registered submodules: its weights are neither in this
model's state dict nor trained (``torch.no_grad`` around every use)."""

from __future__ import annotations

import torch
from torch import Tensor

from models.base import DataSpec, LatentModel, LossOutput
from models.distributions import DiagonalGaussian
from models.nn import build_decoder, build_encoder, build_likelihood
from models.parent import BuiltOnParent
from models.registry import register_family

from .config import ChildConfig


@register_family("child_vae", config=ChildConfig, summary="test only: a small VAE over a parent run's encoder means")
class ChildVAE(BuiltOnParent, LatentModel):
    config: ChildConfig

    def __init__(self, config: ChildConfig, data: DataSpec) -> None:
        super().__init__(config, data)
        self.parent_ref()  # a child needs its parent
        means = DataSpec((config.parent_latent_dim,), data.n_items, "gaussian")  # what this VAE models
        self.encoder = build_encoder(config, means)
        self.decoder = build_decoder(config, means)
        self.likelihood = build_likelihood(config, means)

    def encode(self, x: Tensor) -> DiagonalGaussian:
        return DiagonalGaussian(*self.encoder(self.parent_means(x)))

    def decode(self, z: Tensor) -> Tensor:
        with torch.no_grad():
            return self.base.decode(self.likelihood.mean(self.decoder(z)))

    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        """log p(h|z) of the parent's means h of x: (B, *shape), (B, K) -> (B,)."""
        return self.likelihood.log_prob(self.decoder(z), self.parent_means(x))

    def loss(self, x: Tensor) -> LossOutput:
        h = self.parent_means(x)  # (B, K_p), the data of this VAE
        posterior = DiagonalGaussian(*self.encoder(h))
        z = posterior.rsample()  # (B, K)
        recon = -self.likelihood.log_prob(self.decoder(z), h)  # (B,)
        kl = self.prior.kl(posterior, z)  # (B,)
        total = (recon + self.config.beta * kl).mean()
        return LossOutput(total, {"loss": total.detach(), "recon": recon.mean().detach(), "kl": kl.mean().detach()})
