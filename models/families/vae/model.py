"""beta-VAE: ELBO with beta on the KL term (SCIENCE.md section 3)."""

from __future__ import annotations

from abc import abstractmethod

from torch import Tensor

from ...base import DataSpec, LatentModel, LossOutput
from ...distributions import DiagonalGaussian, Posterior
from ...nn import NetConfig, build_decoder, build_encoder, build_likelihood
from ...registry import register_family
from .config import VAEConfig


class VAEBase(LatentModel):
    """What the VAE families share: an encoder giving a diagonal Gaussian q(z|x), a decoder and likelihood
    p(x|z), and the loss recon + ``regulariser`` (each family's own; its config type is its own too)."""

    config: NetConfig

    def __init__(self, config: NetConfig, data: DataSpec) -> None:
        super().__init__(config, data)
        self.encoder = build_encoder(config, data)
        self.decoder = build_decoder(config, data)
        self.likelihood = build_likelihood(config, data)

    def encode(self, x: Tensor) -> Posterior:
        return DiagonalGaussian(*self.encoder(x))

    def decode(self, z: Tensor) -> Tensor:
        return self.likelihood.mean(self.decoder(z))

    def log_likelihood(self, x: Tensor, z: Tensor) -> Tensor:
        return self.likelihood.log_prob(self.decoder(z), x)

    def loss(self, x: Tensor) -> LossOutput:
        posterior = self.encode(x)
        z = posterior.rsample()  # (B, K)
        recon = -self.log_likelihood(x, z)  # (B,)
        penalty, terms = self.regulariser(z, posterior)  # (B,), named batch means
        total = (recon + penalty).mean()
        return LossOutput(total, {"loss": total.detach(), "recon": recon.mean().detach(), **terms})

    @abstractmethod
    def regulariser(self, z: Tensor, posterior: Posterior) -> tuple[Tensor, dict[str, Tensor]]:
        """The KL part of the negative ELBO per item (B,), and its terms for logging; z (B, K) is the training
        sample from ``posterior`` (a prior without a closed-form KL estimates it there)."""


@register_family("vae", config=VAEConfig, summary="beta-VAE: the ELBO with beta on the KL (beta = 1: plain VAE)")
class VAE(VAEBase):
    config: VAEConfig

    def regulariser(self, z: Tensor, posterior: Posterior) -> tuple[Tensor, dict[str, Tensor]]:
        kl = self.prior.kl(posterior, z)
        return self.config.beta * kl, {"kl": kl.mean().detach()}
