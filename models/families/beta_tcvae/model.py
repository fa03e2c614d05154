"""beta-TCVAE: KL = alpha * index-code MI + beta * total correlation + gamma * dimension-wise KL."""

from __future__ import annotations

from torch import Tensor

from ...distributions import log_density_gaussian, log_standard_normal
from ...registry import register_family
from ..vae import VAE
from .config import BetaTCVAEConfig
from .decomposition import log_qz_and_product


@register_family(
    "beta_tcvae",
    config=BetaTCVAEConfig,
    summary="beta-TCVAE: the KL split into index-code MI, total correlation and dimension-wise KL",
)
class BetaTCVAE(VAE):
    config: BetaTCVAEConfig

    def regulariser(self, z: Tensor, mu: Tensor, logvar: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        if z.shape[0] < 2:
            raise ValueError("beta-TCVAE needs a batch of at least 2 items to estimate q(z)")
        log_qz_x = log_density_gaussian(z, mu, logvar).sum(1)  # (B,)
        log_qz, log_prod = log_qz_and_product(z, mu, logvar, self.data.n_items, self.config.estimator)
        log_pz = log_standard_normal(z)
        mi, tc, dim_kl = log_qz_x - log_qz, log_qz - log_prod, log_prod - log_pz  # (B,) each
        c = self.config
        terms = {"mi": mi.mean().detach(), "tc": tc.mean().detach(), "dim_kl": dim_kl.mean().detach()}
        return c.alpha * mi + c.beta * tc + c.gamma * dim_kl, terms
