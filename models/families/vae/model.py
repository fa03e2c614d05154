"""beta-VAE: ELBO with beta on the KL term (SCIENCE.md section 3)."""

from __future__ import annotations

from torch import Tensor

from ...base import DataSpec, LatentModel, LossOutput
from ...distributions import kl_to_standard_normal, reparameterize
from ...nn import build_decoder, build_encoder, build_likelihood
from ...registry import register_family
from .config import VAEConfig


@register_family("vae", config=VAEConfig, summary="beta-VAE: the ELBO with beta on the KL (beta = 1: plain VAE)")
class VAE(LatentModel):
    config: VAEConfig

    def __init__(self, config: VAEConfig, data: DataSpec) -> None:
        super().__init__(config, data)
        self.encoder = build_encoder(config, data)
        self.decoder = build_decoder(config, data)
        self.likelihood = build_likelihood(config, data)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        return self.likelihood.mean(self.decoder(z))

    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        return self.likelihood.log_prob(self.decoder(z), x)

    def loss(self, x: Tensor) -> LossOutput:
        mu, logvar = self.encode(x)  # (B, K) each
        z = reparameterize(mu, logvar)
        recon = -self.log_likelihood(x, z)  # (B,)
        penalty, terms = self.regulariser(z, mu, logvar)  # (B,), named batch means
        total = (recon + penalty).mean()
        return LossOutput(total, {"loss": total.detach(), "recon": recon.mean().detach(), **terms})

    def regulariser(self, z: Tensor, mu: Tensor, logvar: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """The KL part of the negative ELBO per item (B,), and its terms for logging."""
        kl = kl_to_standard_normal(mu, logvar).sum(1)
        return self.config.beta * kl, {"kl": kl.mean().detach()}
