"""The Laplace family's model: the VAE with ``build_prior`` (and, by config, ``encode``) overridden; training,
evaluation and serving are the library's and the backend's, unchanged."""

from __future__ import annotations

from torch import Tensor

from models.distributions import DiagonalGaussian, Posterior, Prior
from models.families.vae import VAE
from models.registry import register_family

from .config import LaplaceVAEConfig
from .posterior import LaplacePosterior
from .prior import LaplacePrior


@register_family("laplace_vae_test", config=LaplaceVAEConfig,
                 summary="test only: a VAE with a factorised Laplace prior (learned scales)")
class LaplaceVAE(VAE):
    config: LaplaceVAEConfig

    def build_prior(self) -> Prior:
        return LaplacePrior(self.latent_dim, self.config.prior.scale)

    def encode(self, x: Tensor) -> Posterior:
        """The encoder's two heads as (mu, logvar), or as a Laplace's (loc, 2 log scale)."""
        mu, logvar = self.encoder(x)
        if self.config.posterior == "laplace":
            return LaplacePosterior(mu, 0.5 * logvar)
        return DiagonalGaussian(mu, logvar)
